import MQTT

/// Test helpers: encode into arrays, decode from arrays, read decoded byte slices as Strings.
enum PacketBytes {
    static func encode(_ body: (UnsafeMutableRawBufferPointer) throws(MQTTEncodeError) -> Int) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 70_000)
        let result: Result<Int, MQTTEncodeError> = buffer.withUnsafeMutableBytes { raw in
            do throws(MQTTEncodeError) { return .success(try body(raw)) } catch { return .failure(error) }
        }
        let n = try result.get()
        return Array(buffer[0..<n])
    }

    /// Decodes and hands the packet to `check` while the bytes are alive.
    static func decode<T>(_ bytes: [UInt8], maximumPacketSize: Int = 1 << 20, _ check: (MQTTPacket) throws -> T) throws -> T {
        try bytes.withUnsafeBytes { raw in
            let packet = try MQTTDecoder.decode(raw, maximumPacketSize: maximumPacketSize)
            return try check(packet)
        }
    }

    /// The protocol error decoding `bytes` throws, or nil if it decodes.
    static func decodeError(_ bytes: [UInt8], maximumPacketSize: Int = 1 << 20) -> MQTTProtocolError? {
        bytes.withUnsafeBytes { raw -> MQTTProtocolError? in
            do throws(MQTTProtocolError) { _ = try MQTTDecoder.decode(raw, maximumPacketSize: maximumPacketSize); return nil } catch { return error }
        }
    }
}

func text(_ bytes: UnsafeRawBufferPointer?) -> String? {
    guard let bytes else { return nil }
    return String(decoding: bytes, as: UTF8.self)
}
