import EdgeCore

/// A U-Boot environment, read and written exactly as libubootenv's fw_printenv/fw_setenv do:
/// CRC-32 over the data area, single or redundant copies with the flags byte, variables as
/// NUL-separated `name=value` ended by a double NUL.
///
/// Guarantees: `save()` of a redundant environment writes the copy that is *not* current, with
/// the next flags value, and only then considers it current — a power cut during the write leaves
/// the old copy valid and chosen. A single-copy environment is rewritten in place (no such
/// guarantee; U-Boot then falls back to its built-in default). Buffers are sized from the
/// environment size once, in `init`; reading values and editing allocate nothing more.
public struct BootEnvironment<Storage: EnvironmentStorage>: ~Copyable {
    public let config: BootEnvironmentConfig
    public var storage: Storage
    /// The working image of the current copy (CRC, flags, data).
    private let image: UnsafeMutableRawBufferPointer
    /// Where the other copy is read during `load()`.
    private let scratch: UnsafeMutableRawBufferPointer
    /// The copy that `load()` chose (or the last `save()` wrote).
    public private(set) var currentCopy = 0
    /// The flags byte of the current copy (redundant only).
    public private(set) var currentFlags: UInt8 = 0
    /// Which copies passed their CRC at the last `load()`.
    public private(set) var validCopies: (Bool, Bool) = (false, false)
    private var loaded = false
    /// True once `load()` found a valid copy (or `reset()` started an empty one): `save()` works.
    public var isLoaded: Bool { loaded }

    public init(config: BootEnvironmentConfig, storage: consuming Storage) {
        self.config = config
        self.storage = storage
        image = .allocate(byteCount: config.size, alignment: 8)
        image.initializeMemory(as: UInt8.self, repeating: 0)
        scratch = .allocate(byteCount: config.size, alignment: 8)
        scratch.initializeMemory(as: UInt8.self, repeating: 0)
    }

    deinit {
        image.deallocate()
        scratch.deallocate()
    }

    private var redundant: Bool { config.isRedundant }
    private var headerSize: Int { BootEnvironmentFormat.headerSize(redundant: redundant) }

    /// The variables of the working copy.
    public var variables: BootVariables {
        BootVariables(data: UnsafeMutableRawBufferPointer(rebasing: image[headerSize...]))
    }

    /// Capacity of the data area in bytes.
    public var dataCapacity: Int { config.size - headerSize }

    /// Reads the copies and picks the current one as libubootenv does. Throws `.crcMismatch`
    /// (single) or `.noValidCopy` (redundant) when nothing valid is found: the caller must then
    /// refuse to change the boot state.
    public mutating func load() throws(BootEnvironmentError) {
        loaded = false
        validCopies = (false, false)
        try storage.read(copy: 0, into: image)
        let valid0 = BootEnvironmentFormat.crcIsValid(UnsafeRawBufferPointer(image), redundant: redundant)
        guard redundant else {
            validCopies = (valid0, false)
            guard valid0 else { throw .crcMismatch(copy: 0) }
            currentCopy = 0
            try checkTerminated(copy: 0)
            loaded = true
            return
        }
        try storage.read(copy: 1, into: scratch)
        let valid1 = BootEnvironmentFormat.crcIsValid(UnsafeRawBufferPointer(scratch), redundant: true)
        validCopies = (valid0, valid1)
        guard let current = BootEnvironmentFormat.currentCopy(valid0: valid0, valid1: valid1, flags0: image[4],
                                                              flags1: scratch[4], kind: config.flagsKind) else {
            throw .noValidCopy
        }
        if current == 1 { image.copyMemory(from: UnsafeRawBufferPointer(scratch)) }
        currentCopy = current
        currentFlags = image[4]
        try checkTerminated(copy: current)
        loaded = true
    }

    private func checkTerminated(copy: Int) throws(BootEnvironmentError) {
        if variables.terminator() == nil { throw .unterminated(copy: copy) }
    }

    /// Starts from an empty environment (provisioning, tests), as fw_setenv does with an empty
    /// default environment when no valid copy exists: the next `save()` writes copy 1 of a
    /// redundant environment with flags 1.
    public mutating func reset() {
        image.initializeMemory(as: UInt8.self, repeating: 0)
        currentCopy = 0
        currentFlags = 0
        loaded = true
    }

    /// Writes the working variables: to the other copy with the next flags value (redundant),
    /// or over the only copy (single). For NOR-style boolean flags, the old copy is then marked
    /// obsolete (flags 0) as libubootenv does.
    public mutating func save() throws(BootEnvironmentError) {
        guard loaded else { throw .notLoaded }
        guard redundant else {
            BootEnvironmentFormat.seal(image, redundant: false, flags: 0)
            try storage.write(copy: 0, UnsafeRawBufferPointer(image))
            return
        }
        let target = currentCopy == 0 ? 1 : 0
        let flags = BootEnvironmentFormat.nextFlags(after: currentFlags, kind: config.flagsKind)
        BootEnvironmentFormat.seal(image, redundant: true, flags: flags)
        try storage.write(copy: target, UnsafeRawBufferPointer(image))
        if config.flagsKind == .boolean {
            // Obsolete the old copy: rewrite it with flags 0 (its CRC does not cover the flags).
            try storage.read(copy: currentCopy, into: scratch)
            scratch[4] = 0
            try storage.write(copy: currentCopy, UnsafeRawBufferPointer(scratch))
        }
        currentCopy = target
        currentFlags = flags
        validCopies = target == 0 ? (true, validCopies.1) : (validCopies.0, true)
    }

    // MARK: String conveniences (console, start-up; they allocate the returned String)

    /// The value of `name`, or nil.
    public func value(_ name: String) -> String? {
        var name = name
        return name.withUTF8 { n in
            variables.value(of: UnsafeRawBufferPointer(n)).map { String(decoding: $0, as: UTF8.self) }
        }
    }

    /// Sets (or, with nil, removes) a variable in the working copy; `save()` writes it.
    public mutating func set(_ name: String, _ value: String?) throws(BootEnvironmentError) {
        var name = name
        var value = value
        let vars = variables
        let result: BootEnvironmentError? = name.withUTF8 { n in
            guard value != nil else { return Self.apply(vars, UnsafeRawBufferPointer(n), nil) }
            return value!.withUTF8 { v in Self.apply(vars, UnsafeRawBufferPointer(n), UnsafeRawBufferPointer(v)) }
        }
        if let result { throw result }
    }

    private static func apply(_ vars: BootVariables, _ name: UnsafeRawBufferPointer,
                              _ value: UnsafeRawBufferPointer?) -> BootEnvironmentError? {
        do throws(BootEnvironmentError) { try vars.set(name, value) } catch { return error }
        return nil
    }

    /// All variables as `name=value` lines, in stored order; a name stored twice once, with its
    /// last value (what fw_printenv prints).
    public func listing() -> String {
        var out = ""
        let vars = variables
        variables.forEach { name, value in
            if let value, vars.find(name)?.valueStart == value.baseAddress! - UnsafeRawBufferPointer(vars.data).baseAddress! {
                out += String(decoding: name, as: UTF8.self)
                out += "="
                out += String(decoding: value, as: UTF8.self)
                out += "\n"
            }
            return true
        }
        return out
    }
}
