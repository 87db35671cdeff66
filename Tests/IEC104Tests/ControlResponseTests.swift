import IEC104
import Testing

/// Which answers to a command refuse it: P/N set, or the causes 44-47 that lib60870 outstations
/// send with P/N clear (seen from c104: cause 47 for an unknown object address, before or after
/// the negative activation confirmation).
@Suite struct ControlResponseTests {
    static func response(cause: UInt8, negative: Bool) -> ControlResponse {
        ControlResponse(commonAddress: 47, address: 99, type: .singleCommand, causeCode: cause, negative: negative,
                        value: .single(true), qualifier: 1)
    }

    @Test func unknownTypeCauseAddressOrObjectRefusesWithoutPN() {
        for cause: UInt8 in 44...47 { #expect(Self.response(cause: cause, negative: false).isRefused, "cause \(cause)") }
    }

    @Test func aPositiveConfirmationIsNotRefusedAndANegativeOneIs() {
        #expect(!Self.response(cause: 7, negative: false).isRefused)
        #expect(Self.response(cause: 7, negative: true).isRefused)
        #expect(!Self.response(cause: 10, negative: false).isRefused)
    }
}
