extension DLT645DataFormat {
    /// The unit of `di`'s value as `lookup` decodes it ("kWh", "V", "A"…; "" for a power
    /// factor or a DI outside the table), for the probe and the console.
    public static func unit(_ di: UInt32) -> String {
        guard lookup(di) != nil else { return "" }
        let d3 = UInt8(di >> 24), d2 = UInt8((di >> 16) & 0xFF), d0 = UInt8(di & 0xFF)
        switch d3 {
        case 0x00, 0x01:
            // tt: 00-02 active, 03-08 reactive, 09/0A apparent; energy (00) or demand (01).
            let energy = d3 == 0x00
            switch d2 {
            case 0x00...0x02: return energy ? "kWh" : "kW"
            case 0x03...0x08: return energy ? "kvarh" : "kvar"
            default: return energy ? "kVAh" : "kVA"
            }
        default:
            if d2 == 0x80 {
                switch d0 {
                case 0x01: return "A"
                case 0x02: return "Hz"
                case 0x03, 0x04: return "kW"
                case 0x05: return "kvar"
                case 0x06: return "kVA"
                default: return "°C"
                }
            }
            switch d2 {
            case 0x01: return "V"
            case 0x02: return "A"
            case 0x03: return "kW"
            case 0x04: return "kvar"
            case 0x05: return "kVA"
            default: return ""
            }
        }
    }
}
