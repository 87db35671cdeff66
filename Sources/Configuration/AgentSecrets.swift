import FieldBus
import Logging
import TLS

/// Registers every secret of a configuration in the registry the logger and the console mask
/// with: the gateway's and each sub-device's `deviceSecret`, the console password and the TLS
/// key passphrases (the cloud's and each IEC 104 bus's). Sized from the configuration, so registering never runs out of room.
public enum AgentSecrets {
    /// The strings that must never be shown, in the order registered.
    public static func all(_ config: AgentConfiguration) -> [String] {
        var secrets: [String] = [config.cloud.gateway.deviceSecret]
        for s in config.cloud.subDevices { secrets.append(s.credentials.deviceSecret) }
        if let password = config.console.password { secrets.append(password) }
        if let pass = config.cloud.tls?.keyPassword { secrets.append(pass) }
        for bus in config.fieldBus.buses { if let pass = bus.iec104TLS?.keyPassword { secrets.append(pass) } }
        return secrets.filter { !$0.isEmpty }
    }

    /// A registry holding `all(config)` (with room for the console to register its password).
    public static func registry(_ config: AgentConfiguration) -> SecretRegistry {
        let secrets = all(config)
        var bytes = 0
        for s in secrets { bytes += s.utf8.count }
        let registry = SecretRegistry(capacity: secrets.count + 1, byteCapacity: 2 * bytes + 16)
        for s in secrets { registry.register(s) }
        return registry
    }
}
