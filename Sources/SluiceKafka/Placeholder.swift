enum SluiceKafkaPlaceholder {}
