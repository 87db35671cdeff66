import OTA
import Testing

/// Dotted version parsing and ordering (the downgrade rule).
@Suite struct FirmwareVersionTests {
    @Test func comparesComponentsNumerically() {
        #expect(FirmwareVersion("1.10")! > FirmwareVersion("1.9")!)
        #expect(FirmwareVersion("2")! > FirmwareVersion("1.99.99")!)
        #expect(FirmwareVersion("1.2.3")! < FirmwareVersion("1.2.4")!)
        #expect(FirmwareVersion("v1.2")! == FirmwareVersion("1.2.0")!)
        #expect(!(FirmwareVersion("1.2")! < FirmwareVersion("1.2.0")!))
    }

    @Test func refusesWhatIsNotADottedVersion() {
        for bad in ["", "v", "1.", ".1", "1..2", "1.2a", "1.2.3.4.5.6.7.8.9", "99999999999", "1 2", "-1"] {
            #expect(FirmwareVersion(bad) == nil, "\(bad)")
        }
    }

    @Test func printsAsWritten() {
        #expect(FirmwareVersion("v01.2.30")!.description == "1.2.30")
    }
}
