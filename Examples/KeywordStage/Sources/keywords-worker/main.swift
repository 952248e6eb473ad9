import KeywordStage
import SluicePipeline
import SluiceWorkerMain

// Sluice's own tasks plus `keywords`; the rest (options, batching, commits, dead
// letters, registry, signals) is `sluice worker`'s.
var catalog = StageCatalog.builtIn
try catalog.register(KeywordStage.task) { _ in KeywordStage() }
WorkerMain.run(catalog)
