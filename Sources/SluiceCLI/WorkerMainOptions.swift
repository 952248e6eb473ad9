import SluiceWorkerMain

// The option groups moved to SluiceWorkerMain so that a stage
// package's worker takes the same flags as `sluice worker`; the other commands use them too.
typealias BrokerOptions = SluiceWorkerMain.BrokerOptions
typealias RegistryOptions = SluiceWorkerMain.RegistryOptions
