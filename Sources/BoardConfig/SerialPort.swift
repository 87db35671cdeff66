/// One serial port of a board, as the field-bus configuration refers to it by `name`
/// (`"rs485-1"`), with the RS-485 direction control the hardware needs.
public struct SerialPort: Sendable, Equatable {
    /// Logical name used by the agent config (lowercase letters, digits and `-`; unique).
    public var name: String
    /// The tty device, e.g. `/dev/ttyAMA2` or `${STATE}/rs485-1`.
    public var device: String
    /// Where the port is on the case, for technicians (`"X3 terminals A/B"`).
    public var label: String?
    /// RS-485 direction control; nil for RS-232 or a pseudo-terminal.
    public var rs485: RS485Settings?
    /// Highest baud rate the UART and transceiver support.
    public var maxBaud: Int

    public init(name: String, device: String, label: String?, rs485: RS485Settings?, maxBaud: Int) {
        self.name = name
        self.device = device
        self.label = label
        self.rs485 = rs485
        self.maxBaud = maxBaud
    }
}

/// How the transmitter of an RS-485 transceiver is switched on and off around each frame.
public struct RS485Settings: Sendable, Equatable {
    public enum Mode: String, Sendable, Equatable, CaseIterable {
        /// The kernel switches RTS (or the UART's rts-gpio) itself: TIOCSRS485 with the flags and
        /// delays below. Exact timing, no user-space involvement: the right choice where possible.
        case kernel
        /// The transceiver switches direction by itself (auto-direction hardware): nothing to do.
        case auto
        /// libmodbus toggles RTS from user space (modbus_rtu_set_rts); late by a scheduler tick,
        /// only for UARTs without kernel RS-485 support.
        case libmodbusRTS = "libmodbus-rts"
    }

    public var mode: Mode
    /// RTS level while sending (SER_RS485_RTS_ON_SEND) ...
    public var rtsOnSend: Bool
    /// ... and after sending (SER_RS485_RTS_AFTER_SEND); the two must differ.
    public var rtsAfterSend: Bool
    /// Delay between RTS on and the first bit, in milliseconds (delay_rts_before_send).
    public var delayBeforeSendMs: Int
    /// Delay between the last bit and RTS off, in milliseconds (delay_rts_after_send).
    public var delayAfterSendMs: Int
    /// Receive while sending (SER_RS485_RX_DURING_TX): only for echo-checking hardware.
    public var receiveDuringSend: Bool
    /// Bus termination resistor switched on by the board (informational; set by a jumper or DT).
    public var termination: Bool

    public init(mode: Mode, rtsOnSend: Bool = true, rtsAfterSend: Bool = false, delayBeforeSendMs: Int = 0,
                delayAfterSendMs: Int = 0, receiveDuringSend: Bool = false, termination: Bool = false) {
        self.mode = mode
        self.rtsOnSend = rtsOnSend
        self.rtsAfterSend = rtsAfterSend
        self.delayBeforeSendMs = delayBeforeSendMs
        self.delayAfterSendMs = delayAfterSendMs
        self.receiveDuringSend = receiveDuringSend
        self.termination = termination
    }
}
