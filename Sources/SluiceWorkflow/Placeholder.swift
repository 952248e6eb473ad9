enum SluiceWorkflowPlaceholder {}
