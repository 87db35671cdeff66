import Foundation

extension EndToEndHarness {
    /// Writes holding register `address` of `unit` on the pymodbus slave directly (Modbus TCP,
    /// function 6), beside the agent: how a test changes what the agent reads, also while the
    /// line to the cloud is cut. Throws when the slave does not echo the write.
    func writeSlaveRegister(unit: UInt8, address: UInt16, value: UInt16) throws {
        struct WriteFailed: Error, CustomStringConvertible { var description: String }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw WriteFailed(description: "socket: errno \(errno)") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = modbusPort.bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0 else { throw WriteFailed(description: "connect to the slave: errno \(errno)") }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let frame: [UInt8] = [0x00, 0x01, 0x00, 0x00, 0x00, 0x06, unit, 0x06,
                              UInt8(address >> 8), UInt8(address & 0xFF), UInt8(value >> 8), UInt8(value & 0xFF)]
        guard frame.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == frame.count else {
            throw WriteFailed(description: "send to the slave: errno \(errno)")
        }
        var reply = [UInt8](repeating: 0, count: 12)
        var got = 0
        while got < reply.count {
            let n = reply.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + got, $0.count - got, 0) }
            guard n > 0 else { throw WriteFailed(description: "no reply from the slave to the write (\(got) bytes)") }
            got += n
        }
        guard reply == frame else { throw WriteFailed(description: "the slave answered \(reply) to the write \(frame)") }
    }
}
