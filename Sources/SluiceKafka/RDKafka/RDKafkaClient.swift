import CRdKafka
import Foundation
import Logging

/// Owns one `rd_kafka_t`. The only type (with its extensions in this folder)
/// that calls librdkafka; everything above sees Swift values.
///
/// Creation frees the `rd_kafka_conf_t` on every failure path: librdkafka takes
/// ownership only when `rd_kafka_new` succeeds.
final class RDKafkaClient: @unchecked Sendable {
    enum Kind { case producer, consumer }

    let handle: OpaquePointer
    let bootstrapServers: String
    let events: RDKafkaClientEvents
    private let destroyLock = NSLock()
    private var destroyed = false

    /// - Parameter configure: sets callbacks / opaque on the conf before the handle exists.
    init(kind: Kind, properties: [String: String], configure: (OpaquePointer) -> Void = { _ in }) throws(KafkaError) {
        try LibrdkafkaVersion.ensureLoadedIsSupported()
        guard let conf = rd_kafka_conf_new() else {
            throw KafkaError(code: .fatal, message: "rd_kafka_conf_new returned NULL")
        }
        // Sorted so the first bad property reported is deterministic.
        for (name, value) in properties.sorted(by: { $0.key < $1.key }) {
            if let failure = Self.set(conf, name, value) {
                rd_kafka_conf_destroy(conf)
                throw KafkaError(code: .invalidArgument, message: "invalid property \(name)=\(value): \(failure)")
            }
        }
        let events = RDKafkaClientEvents()
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(events).toOpaque())
        rd_kafka_conf_set_log_cb(conf, rdKafkaLogCallback)
        rd_kafka_conf_set_error_cb(conf, rdKafkaErrorCallback)
        configure(conf)
        var errstr = [CChar](repeating: 0, count: 512)
        let type = kind == .producer ? RD_KAFKA_PRODUCER : RD_KAFKA_CONSUMER
        guard let handle = rd_kafka_new(type, conf, &errstr, errstr.count) else {
            rd_kafka_conf_destroy(conf)
            throw KafkaError(code: .invalidArgument, message: "cannot create Kafka client: \(Self.text(errstr))")
        }
        self.handle = handle
        self.events = events
        self.bootstrapServers = properties["bootstrap.servers"] ?? ""
    }

    /// nil on success, else librdkafka's error text.
    private static func set(_ conf: OpaquePointer, _ name: String, _ value: String) -> String? {
        var errstr = [CChar](repeating: 0, count: 512)
        let result = rd_kafka_conf_set(conf, name, value, &errstr, errstr.count)
        return result == RD_KAFKA_CONF_OK ? nil : Self.text(errstr)
    }

    /// librdkafka's NUL-terminated error text from a buffer.
    static func text(_ buffer: [CChar]) -> String {
        buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// Destroys the handle once; later calls do nothing. Must not run on a
    /// librdkafka callback thread.
    func destroy() {
        destroyLock.lock()
        let shouldDestroy = !destroyed
        destroyed = true
        destroyLock.unlock()
        if shouldDestroy { rd_kafka_destroy(handle) }
    }

    var isDestroyed: Bool {
        destroyLock.lock()
        defer { destroyLock.unlock() }
        return destroyed
    }

    deinit { destroy() }

    // MARK: Error conversion

    static func error(_ code: rd_kafka_resp_err_t, context: String? = nil) -> KafkaError {
        let text = String(cString: rd_kafka_err2str(code))
        let message = context.map { "\($0): \(text)" } ?? text
        return KafkaError(
            code: KafkaError.Code(rawValue: code.rawValue), message: message,
            isRetriable: Self.isRetriableByNature(code))
    }

    /// Consumes (destroys) an `rd_kafka_error_t`.
    static func consume(_ error: OpaquePointer, context: String) -> KafkaError {
        defer { rd_kafka_error_destroy(error) }
        return KafkaError(
            code: KafkaError.Code(rawValue: rd_kafka_error_code(error).rawValue),
            message: "\(context): \(String(cString: rd_kafka_error_string(error)))",
            isRetriable: rd_kafka_error_is_retriable(error) != 0,
            isFatal: rd_kafka_error_is_fatal(error) != 0,
            requiresTransactionAbort: rd_kafka_error_txn_requires_abort(error) != 0)
    }

    /// Codes that mean "try again later" when librdkafka gives no flag.
    private static func isRetriableByNature(_ code: rd_kafka_resp_err_t) -> Bool {
        [
            RD_KAFKA_RESP_ERR__QUEUE_FULL, RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR__TRANSPORT,
            RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
            RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE,
            RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS, RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS,
        ]
        .contains(code)
    }

    /// An error for a call that did not reach the broker, saying where we tried.
    func unreachable(_ code: rd_kafka_resp_err_t, timeoutMs: Int, what: String) -> KafkaError {
        if code == RD_KAFKA_RESP_ERR__TIMED_OUT || code == RD_KAFKA_RESP_ERR__TRANSPORT
            || code == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN
        {
            return KafkaError(
                code: .brokerUnreachable,
                message: "could not reach a Kafka broker at \(bootstrapServers) within \(timeoutMs) ms while "
                    + "\(what) (librdkafka: \(String(cString: rd_kafka_err2str(code)))"
                    + (events.lastErrorText.map { "; last error: \($0)" } ?? "")
                    + "); is the broker running and is bootstrap.servers right?",
                isRetriable: true)
        }
        return Self.error(code, context: what)
    }
}

/// Routes librdkafka's log lines to swift-log instead of stderr.
let rdKafkaLogger = Logger(label: "sluice.kafka.librdkafka")

private let rdKafkaLogCallback:
    @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?)
        -> Void = { _, level, facility, line in
            let text = "\(facility.map { String(cString: $0) } ?? "-"): \(line.map { String(cString: $0) } ?? "")"
            // syslog levels: 0-3 error, 4 warning, 5-6 notice/info, 7 debug.
            // FAIL lines repeat what the error callback already reported once.
            let isConnectionFailure = facility.map { String(cString: $0) } == "FAIL"
            switch level {
            case _ where isConnectionFailure: rdKafkaLogger.debug("\(text)")
            case ...3: rdKafkaLogger.error("\(text)")
            case 4: rdKafkaLogger.warning("\(text)")
            case 5...6: rdKafkaLogger.info("\(text)")
            default: rdKafkaLogger.debug("\(text)")
            }
        }
