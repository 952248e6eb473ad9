import SluiceWorkerMain

// The option groups and the signal handler moved to SluiceWorkerMain so that a stage
// package's worker takes the same flags as `sluice worker`; the other commands use them too.
typealias BrokerOptions = SluiceWorkerMain.BrokerOptions
typealias RegistryOptions = SluiceWorkerMain.RegistryOptions
typealias ShutdownSignal = SluiceWorkerMain.ShutdownSignal
