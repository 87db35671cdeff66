import Logging
import MQTT
import TLS
import Configuration

/// Logs why the cloud connection ended or could not be made, once, in words: a dropped
/// connection and the first failed attempt of a cause at warning level; further attempts that
/// fail for the same cause at debug level with a count (a reconnect loop against a dead or
/// refusing broker writes one warning, not one per attempt); a different cause at warning level
/// again; the next connect says how many attempts failed. Lines are composed only when their
/// level is enabled, on events, never in the steady state.
public struct UplinkFailureLog {
    public init() {}
    /// The cause of the last failure since the last connect (nil: none).
    var last: MQTTClientError? = nil
    /// Failures in a row with `last`'s cause, beyond the first.
    var repeats = 0
    /// Connection attempts that failed since the last connect.
    var failedAttempts = 0

    public mutating func connected(to cloud: CloudSettings, log: Logger) {
        let failed = failedAttempts
        log.info("uplink connected to \(cloud.host):\(cloud.port)"
                 + (failed > 0 ? " after \(failed) failed attempt\(failed == 1 ? "" : "s")" : ""))
        last = nil
        repeats = 0
        failedAttempts = 0
    }

    public mutating func failed(_ cause: MQTTClientError, wasConnected: Bool, cloud: CloudSettings, log: Logger) {
        if wasConnected {
            last = cause
            repeats = 0
            failedAttempts = 0
            log.warning("uplink to \(cloud.host):\(cloud.port) disconnected: " + cause.causeDescription
                        + "; samples are kept in the ring log")
            return
        }
        failedAttempts += 1
        if let last, last.isSameCause(as: cause) {
            repeats += 1
            let times = repeats + 1
            log.debug("uplink: cannot connect to \(cloud.host):\(cloud.port): " + cause.causeDescription
                      + " (again, \(times) times in a row)")
            return
        }
        last = cause
        repeats = 0
        log.warning("uplink: cannot connect to \(cloud.host):\(cloud.port): " + cause.causeDescription
                    + "; samples are kept in the ring log, retrying (repeats of this cause are logged at debug level)")
    }
}
