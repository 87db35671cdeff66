import EdgeCore

/// Reads and validates a `board.json`, collecting every problem (unknown keys with the allowed
/// ones, missing fields, wrong types, sizes that are not multiples of the erase size, duplicate
/// port names, a name that differs from the folder) as `ConfigError`s that name the file, the
/// path in the document and the line and column. A board comes out only if there is no error.
/// Start-up only: allocates.
public enum BoardLoader {
    public static let topLevelKeys = ["name", "toolchain", "description", "serialPorts", "ringLog", "slots",
                                      "bootloaderEnvironment", "console"]
    static let serialPortKeys = ["name", "device", "label", "rs485", "maxBaud"]
    static let rs485Keys = ["mode", "rtsOnSend", "rtsAfterSend", "delayBeforeSendMs", "delayAfterSendMs",
                            "receiveDuringSend", "termination"]
    static let ringLogKeys = ["device", "kind", "offset", "size", "eraseSize"]
    static let slotsKeys = ["a", "b"]
    static let slotKeys = ["device", "kind", "size", "eraseSize", "bootName"]
    static let environmentKeys = ["redundant", "copies"]
    static let copyKeys = ["device", "offset", "size", "sectorSize"]
    static let consoleKeys = ["tty", "baud"]

    /// Largest board file accepted.
    public static let maxFileSize = 256 * 1024

    /// Loads `path`. When `expectedName` is nil the name must equal the folder that holds the
    /// file (`Board/cm4-gateway/board.json` → `cm4-gateway`), if the path names one.
    public static func load(path: String, expectedName: String? = nil) throws(ConfigErrors) -> Board {
        var v = ConfigValidator(file: path)
        guard let document = v.loadDocument(limit: maxFileSize) else { throw v.collected }
        let name = expectedName ?? folderName(of: path)
        if let board = validate(document, expectedName: name, &v), !v.hasErrors { return board }
        throw v.collected
    }

    /// Validates a document already in memory (`file` is used in messages).
    public static func validate(bytes: [UInt8], file: String, expectedName: String?) throws(ConfigErrors) -> Board {
        var v = ConfigValidator(file: file)
        guard let document = v.parseDocument(bytes) else { throw v.collected }
        if let board = validate(document, expectedName: expectedName, &v), !v.hasErrors { return board }
        throw v.collected
    }

    /// The folder that holds the file: `Board/qemu-armv7/board.json` → `qemu-armv7`; nil if the
    /// path has no folder part.
    public static func folderName(of path: String) -> String? {
        var parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard parts.count >= 2 else { return nil }
        parts.removeLast()
        let folder = parts[parts.count - 1]
        return folder == "." || folder == ".." ? nil : folder
    }

    /// Validates every field, recording problems in `v`; returns a board if the document had
    /// the shape of one (check `v.hasErrors` for the semantic checks).
    public static func validate(_ document: JSONValue, expectedName: String?, _ v: inout ConfigValidator) -> Board? {
        guard let root = v.object(document, at: .root, allowedKeys: topLevelKeys) else { return nil }

        let name = v.string(in: root, "name")
        if let name, let expectedName, name != expectedName, let at = root.member("name") {
            v.report("name \"\(name)\" must equal the board's folder name \"\(expectedName)\"", at: root.path.key("name"), value: at.value)
        }
        if let name, !isPortName(name), let at = root.member("name") {
            v.report("name must be lowercase letters, digits and '-', found \"\(name)\"", at: root.path.key("name"), value: at.value)
        }
        let toolchainText = v.choice(in: root, "toolchain", Toolchain.allCases.map { $0.rawValue })
        let description = v.string(in: root, "description")
        let ports = serialPorts(root, &v)
        let ring = ringLog(root, &v)
        let slotPair = slots(root, ring, &v)
        let environment = bootloaderEnvironment(root, &v)
        let console = self.console(root, &v)

        guard let name, let toolchainText, let toolchain = Toolchain(rawValue: toolchainText), let description,
              let ports, let ring, let slotPair, let environment, let console else { return nil }
        return Board(name: name, toolchain: toolchain, description: description, serialPorts: ports,
                     ringLog: ring, slots: slotPair, bootloaderEnvironment: environment, console: console)
    }

    // MARK: Parts

    static func isPortName(_ s: String) -> Bool {
        guard !s.isEmpty else { return false }
        return s.utf8.allSatisfy { b in
            (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || b == UInt8(ascii: "-")
        }
    }

    static func devicePath(in object: ConfigObject, _ key: String, _ v: inout ConfigValidator) -> String? {
        guard let path = v.string(in: object, key) else { return nil }
        if let problem = BoardPath.problem(path), let at = object.member(key) {
            v.report(problem, at: object.path.key(key), value: at.value)
            return nil
        }
        return path
    }

    static func serialPorts(_ root: ConfigObject, _ v: inout ConfigValidator) -> [SerialPort]? {
        guard let elements = v.array(in: root, "serialPorts") else { return nil }
        let path = root.path.key("serialPorts")
        if elements.isEmpty, let at = root.member("serialPorts") {
            v.report("a board needs at least one serial port", at: path, value: at.value)
        }
        var ports: [SerialPort] = []
        var complete = true
        // Arrays, not dictionaries: a few ports, and Dictionary's random hash seed would need
        // arc4random_buf, which musl does not have.
        var seenNames: [(String, JSONLocation)] = []
        var seenDevices: [(String, JSONLocation)] = []
        for (i, element) in elements.enumerated() {
            guard let o = v.object(element, at: path.index(i), allowedKeys: serialPortKeys) else { complete = false; continue }
            let name = v.string(in: o, "name")
            if let name, let at = o.member("name") {
                if !isPortName(name) {
                    v.report("port name must be lowercase letters, digits and '-', found \"\(name)\"", at: o.path.key("name"), value: at.value)
                }
                if let first = seenNames.first(where: { $0.0 == name })?.1 {
                    v.report("duplicate serial port name \"\(name)\" (first at line \(first.line), column \(first.column))",
                             at: o.path.key("name"), value: at.value)
                } else {
                    seenNames.append((name, at.value.location))
                }
            }
            let device = devicePath(in: o, "device", &v)
            if let device, let at = o.member("device") {
                if let first = seenDevices.first(where: { $0.0 == device })?.1 {
                    v.report("device \"\(device)\" is already used by another port (line \(first.line), column \(first.column))",
                             at: o.path.key("device"), value: at.value)
                } else {
                    seenDevices.append((device, at.value.location))
                }
            }
            let label = o.member("label") != nil ? v.string(in: o, "label") : nil
            let maxBaud = o.member("maxBaud") != nil ? v.integer(in: o, "maxBaud", range: 1200...16_000_000) : 115_200
            var rs485: RS485Settings? = nil
            var rs485OK = true
            if let r = v.object(in: o, "rs485", required: false, allowedKeys: rs485Keys) {
                rs485 = rs485Settings(r, &v)
                rs485OK = rs485 != nil
            } else if o.member("rs485") != nil {
                rs485OK = false
            }
            if let name, let device, let maxBaud, rs485OK {
                ports.append(SerialPort(name: name, device: device, label: label, rs485: rs485, maxBaud: Int(maxBaud)))
            } else {
                complete = false
            }
        }
        return complete ? ports : nil
    }

    static func rs485Settings(_ o: ConfigObject, _ v: inout ConfigValidator) -> RS485Settings? {
        guard let modeText = v.choice(in: o, "mode", RS485Settings.Mode.allCases.map { $0.rawValue }),
              let mode = RS485Settings.Mode(rawValue: modeText) else {
            return nil
        }
        var s = RS485Settings(mode: mode)
        var ok = true
        func flag(_ key: String, _ v: inout ConfigValidator) -> Bool? {
            guard o.member(key) != nil else { return nil }
            let b = v.bool(in: o, key)
            if b == nil { ok = false }
            return b
        }
        func delay(_ key: String, _ v: inout ConfigValidator) -> Int? {
            guard o.member(key) != nil else { return nil }
            let d = v.integer(in: o, key, range: 0...100)
            if d == nil { ok = false }
            return d.map { Int($0) }
        }
        if let b = flag("rtsOnSend", &v) { s.rtsOnSend = b }
        if let b = flag("rtsAfterSend", &v) { s.rtsAfterSend = b }
        if let b = flag("receiveDuringSend", &v) { s.receiveDuringSend = b }
        if let b = flag("termination", &v) { s.termination = b }
        if let d = delay("delayBeforeSendMs", &v) { s.delayBeforeSendMs = d }
        if let d = delay("delayAfterSendMs", &v) { s.delayAfterSendMs = d }
        if mode == .kernel && s.rtsOnSend == s.rtsAfterSend {
            v.report("rtsOnSend and rtsAfterSend must differ (RTS has one level while sending and the other after)",
                     at: o.path, o.location)
            ok = false
        }
        if mode == .auto && (s.delayBeforeSendMs != 0 || s.delayAfterSendMs != 0) {
            v.report("RTS delays have no effect with mode \"auto\" (the transceiver switches by itself)", at: o.path, o.location)
            ok = false
        }
        return ok ? s : nil
    }

    static func storageKind(in o: ConfigObject, allowed: [StorageKind], _ v: inout ConfigValidator) -> StorageKind? {
        guard let text = v.choice(in: o, "kind", allowed.map { $0.rawValue }) else { return nil }
        return StorageKind(rawValue: text)
    }

    static func ringLog(_ root: ConfigObject, _ v: inout ConfigValidator) -> RingLogArea? {
        guard let o = v.object(in: root, "ringLog", allowedKeys: ringLogKeys) else { return nil }
        let device = devicePath(in: o, "device", &v)
        let kind = storageKind(in: o, allowed: [.file, .block, .mtd], &v)
        let offset = o.member("offset") != nil ? v.byteCount(in: o, "offset") : 0
        let size = v.byteCount(in: o, "size")
        let eraseSize = v.byteCount(in: o, "eraseSize")
        var ok = true
        if let eraseSize, let at = o.member("eraseSize") {
            if eraseSize < 512 || eraseSize & (eraseSize - 1) != 0 {
                v.report("eraseSize must be a power of two of at least 512 bytes, found \(eraseSize)", at: o.path.key("eraseSize"), value: at.value)
                ok = false
            } else {
                if let size, let sizeAt = o.member("size") {
                    if size % eraseSize != 0 {
                        v.report("size \(size) is not a multiple of the erase size \(eraseSize)", at: o.path.key("size"), value: sizeAt.value)
                        ok = false
                    } else if size / eraseSize < 2 {
                        v.report("size \(size) holds fewer than two erase units of \(eraseSize) bytes (a ring needs at least two)",
                                 at: o.path.key("size"), value: sizeAt.value)
                        ok = false
                    }
                }
                if let offset, offset % eraseSize != 0, let offsetAt = o.member("offset") {
                    v.report("offset \(offset) is not a multiple of the erase size \(eraseSize)", at: o.path.key("offset"), value: offsetAt.value)
                    ok = false
                }
            }
        }
        guard ok, let device, let kind, let offset, let size, let eraseSize else { return nil }
        return RingLogArea(device: device, kind: kind, offset: offset, size: size, eraseSize: eraseSize)
    }

    static func slots(_ root: ConfigObject, _ ring: RingLogArea?, _ v: inout ConfigValidator) -> SlotPair? {
        guard let o = v.object(in: root, "slots", allowedKeys: slotsKeys) else { return nil }
        func slot(_ letter: String, _ v: inout ConfigValidator) -> Slot? {
            guard let s = v.object(in: o, letter, allowedKeys: slotKeys) else { return nil }
            let device = devicePath(in: s, "device", &v)
            let kind = storageKind(in: s, allowed: StorageKind.allCases, &v)
            let size = s.member("size") != nil ? v.byteCount(in: s, "size") : nil
            let eraseSize = s.member("eraseSize") != nil ? v.byteCount(in: s, "eraseSize") : nil
            let bootName = s.member("bootName") != nil ? v.string(in: s, "bootName") : letter
            var ok = true
            if let size, let eraseSize, eraseSize > 0, size % eraseSize != 0, let at = s.member("size") {
                v.report("size \(size) is not a multiple of the erase size \(eraseSize)", at: s.path.key("size"), value: at.value)
                ok = false
            }
            if kind == .mtd && s.member("eraseSize") == nil {
                v.report("missing required key \"eraseSize\" (an mtd slot is erased in erase blocks)", at: s.path, s.location)
                ok = false
            }
            if let device, let ring, device == ring.device, let at = s.member("device") {
                v.report("slot \(letter) uses the ring log's device \"\(device)\"", at: s.path.key("device"), value: at.value)
                ok = false
            }
            guard ok, let device, let kind, let bootName else { return nil }
            return Slot(device: device, kind: kind, size: size, eraseSize: eraseSize, bootName: bootName)
        }
        let a = slot("a", &v)
        let b = slot("b", &v)
        guard let a, let b else { return nil }
        if a.device == b.device, let at = o.member("b")?.value.objectMembers?.first(where: { $0.key == "device" }) {
            v.report("slots a and b use the same device \"\(a.device)\"", at: o.path.key("b").key("device"), value: at.value)
            return nil
        }
        if a.bootName == b.bootName {
            v.report("slots a and b have the same bootName \"\(a.bootName)\"", at: o.path, o.location)
            return nil
        }
        return SlotPair(a: a, b: b)
    }

    static func bootloaderEnvironment(_ root: ConfigObject, _ v: inout ConfigValidator) -> BootloaderEnvironment? {
        guard let o = v.object(in: root, "bootloaderEnvironment", allowedKeys: environmentKeys) else { return nil }
        let redundant = v.bool(in: o, "redundant")
        guard let elements = v.array(in: o, "copies", count: 1...2) else { return nil }
        var copies: [BootloaderEnvironment.Copy] = []
        var complete = true
        for (i, element) in elements.enumerated() {
            guard let c = v.object(element, at: o.path.key("copies").index(i), allowedKeys: copyKeys) else { complete = false; continue }
            let device = devicePath(in: c, "device", &v)
            let offset = v.byteCount(in: c, "offset")
            let size = v.byteCount(in: c, "size")
            let sectorSize = c.member("sectorSize") != nil ? v.byteCount(in: c, "sectorSize") : size
            var ok = true
            if let size, size < 16, let at = c.member("size") {
                v.report("size \(size) is too small for an environment", at: c.path.key("size"), value: at.value)
                ok = false
            }
            if let sectorSize, let size, sectorSize > 0 {
                if size > sectorSize && size % sectorSize != 0, let at = c.member("size") {
                    v.report("size \(size) spans a partial erase sector of \(sectorSize) bytes", at: c.path.key("size"), value: at.value)
                    ok = false
                }
                if let offset, offset % sectorSize != 0, let at = c.member("offset") {
                    v.report("offset \(offset) is not a multiple of the sector size \(sectorSize)", at: c.path.key("offset"), value: at.value)
                    ok = false
                }
            } else if sectorSize == 0, let at = c.member("sectorSize") {
                v.report("sectorSize must be positive", at: c.path.key("sectorSize"), value: at.value)
                ok = false
            }
            if ok, let device, let offset, let size, let sectorSize {
                copies.append(.init(device: device, offset: offset, size: size, sectorSize: sectorSize))
            } else {
                complete = false
            }
        }
        guard let redundant, complete else { return nil }
        if redundant != (copies.count == 2), let at = o.member("copies") {
            v.report(redundant ? "a redundant environment needs two copies, found \(copies.count)"
                               : "a non-redundant environment has one copy, found \(copies.count) (set \"redundant\": true)",
                     at: o.path.key("copies"), value: at.value)
            return nil
        }
        if copies.count == 2 {
            let (x, y) = (copies[0], copies[1])
            if x.size != y.size, let at = o.member("copies") {
                v.report("the two copies must have the same size (\(x.size) and \(y.size))", at: o.path.key("copies"), value: at.value)
                return nil
            }
            if x.device == y.device && x.offset < y.offset + y.size && y.offset < x.offset + x.size, let at = o.member("copies") {
                v.report("the two copies overlap on \"\(x.device)\"", at: o.path.key("copies"), value: at.value)
                return nil
            }
        }
        return BootloaderEnvironment(redundant: redundant, copies: copies)
    }

    static func console(_ root: ConfigObject, _ v: inout ConfigValidator) -> Console? {
        guard let o = v.object(in: root, "console", allowedKeys: consoleKeys) else { return nil }
        let tty = devicePath(in: o, "tty", &v)
        var baud: Int? = nil
        if o.member("baud") != nil {
            guard let b = v.integer(in: o, "baud", range: 1200...4_000_000) else { return nil }
            baud = Int(b)
        }
        guard let tty else { return nil }
        return Console(tty: tty, baud: baud)
    }
}
