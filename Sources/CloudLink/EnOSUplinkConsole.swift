import EdgeCore
import EnOS
import MQTT

extension EnOSUplink where Transport: ~Copyable {
    /// The console's `mqtt` lines: the broker, connection state and connects, the QoS 1 window,
    /// the EnOS requests awaiting a reply, sub-devices online, and the last connection error.
    public func describeConnection(into out: inout TextWriter) {
        out.write("broker: ")
        out.write(gateway.client.host)
        out.write(":")
        out.write(gateway.client.port)
        out.write(gateway.client.session.isConnected ? ", connected" : ", NOT connected")
        out.write(isReady ? " and ready" : "")
        out.write(", ")
        out.write(gateway.client.connectionCount)
        out.write(" connections so far")
        out.newline()
        out.write("in flight: ")
        out.write(gateway.client.session.inFlightCount)
        out.write(" QoS 1 messages (")
        out.write(gateway.client.session.unacknowledgedCount)
        out.write(" unacknowledged), ")
        out.write(gateway.pendingCount)
        out.write(" EnOS requests awaiting a reply")
        out.newline()
        out.write("sub-devices online: ")
        out.write(gateway.onlineSubDeviceCount)
        out.write("/")
        out.write(gateway.configuration.subDevices.count)
        out.write(", ignored messages ")
        out.write(gateway.ignoredMessageCount)
        out.write(", unmatched replies ")
        out.write(gateway.unmatchedReplyCount)
        out.write(", bad-quality samples not sent ")
        out.write(badQualitySamples)
        out.newline()
        if let error = gateway.client.lastError {
            out.write("last connection error: ")
            out.write(error.causeDescription)
            out.newline()
        }
    }
}
