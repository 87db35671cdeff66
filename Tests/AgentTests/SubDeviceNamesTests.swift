import Testing
@testable import CloudLink
@testable import Configuration

/// The sub-device a cloud refusal names: a key counts only as a whole word, several sub-devices
/// named (or a shared device key without its product key) name none, and a device-level reply
/// code is classified as such (so that the device is looked for instead of backing off).
@Suite struct SubDeviceNamesTests {
    static func contains(_ word: String, in text: String) -> Bool {
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBytes { SubDeviceNames.containsWord(Array(word.utf8), in: UnsafeRawBufferPointer($0)) }
    }

    @Test func aKeyCountsOnlyAsAWholeWord() {
        #expect(Self.contains("meter1", in: "subPK&meter1 has error: Device is disable;"))
        #expect(!Self.contains("meter1", in: "subPK&meter10 has error: Device is disable;"))
        #expect(!Self.contains("meter1", in: "xmeter1 has error"))
        #expect(Self.contains("meter1", in: "meter1"))
        #expect(!Self.contains("meter1", in: "Device is disable"))
    }

    @Test func deviceCodesAreTheirOwnClass() {
        for code in [705, 723, 740, 1009, 1212, 1257] {
            #expect(MeasurepointReplyCode.classify(code) == .deviceRefused, "\(code)")
        }
        #expect(MeasurepointReplyCode.classify(1204) == .permanent)
        #expect(MeasurepointReplyCode.classify(500) == .retryLater)
        #expect(MeasurepointReplyCode.classify(200) == .done)
    }
}
