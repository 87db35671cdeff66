/// Types, causes and qualities in words, for the probe and the console (allocates: not for the
/// steady state).
extension TypeIdentification {
    /// The standard's mnemonic: "M_ME_NC_1", "C_IC_NA_1".
    public var mnemonic: String {
        switch self {
        case .singlePoint: return "M_SP_NA_1"
        case .doublePoint: return "M_DP_NA_1"
        case .normalized: return "M_ME_NA_1"
        case .scaled: return "M_ME_NB_1"
        case .shortFloat: return "M_ME_NC_1"
        case .integratedTotals: return "M_IT_NA_1"
        case .singlePointTime: return "M_SP_TB_1"
        case .doublePointTime: return "M_DP_TB_1"
        case .normalizedTime: return "M_ME_TD_1"
        case .scaledTime: return "M_ME_TE_1"
        case .shortFloatTime: return "M_ME_TF_1"
        case .integratedTotalsTime: return "M_IT_TB_1"
        case .singleCommand: return "C_SC_NA_1"
        case .doubleCommand: return "C_DC_NA_1"
        case .setpointFloat: return "C_SE_NC_1"
        case .endOfInitialisation: return "M_EI_NA_1"
        case .interrogation: return "C_IC_NA_1"
        case .counterInterrogation: return "C_CI_NA_1"
        case .clockSynchronisation: return "C_CS_NA_1"
        }
    }
}

extension Cause {
    /// A cause of transmission (bits 0-5 of the COT) in words: "interrogated", "spontaneous",
    /// "unknown common address"; a code without a name as "cause N".
    public static func text(_ code: UInt8) -> String {
        switch code {
        case 1: return "periodic"
        case 2: return "background scan"
        case 3: return "spontaneous"
        case 4: return "initialised"
        case 5: return "request"
        case 6: return "activation"
        case 7: return "activation confirmation"
        case 8: return "deactivation"
        case 9: return "deactivation confirmation"
        case 10: return "activation termination"
        case 11: return "return (remote command)"
        case 12: return "return (local command)"
        case 13: return "file transfer"
        case 20: return "interrogated"
        case 21...36: return "interrogated (group \(code - 20))"
        case 37: return "counter interrogated"
        case 38...41: return "counter interrogated (group \(code - 37))"
        case 44: return "unknown type"
        case 45: return "unknown cause"
        case 46: return "unknown common address"
        case 47: return "unknown object address"
        default: return "cause \(code)"
        }
    }
}

extension Quality {
    /// "good", or the flags set: "invalid", "not topical, substituted".
    public var words: String {
        if self == .good { return "good" }
        var names: [String] = []
        if contains(.invalid) { names.append("invalid") }
        if contains(.notTopical) { names.append("not topical") }
        if contains(.substituted) { names.append("substituted") }
        if contains(.blocked) { names.append("blocked") }
        if contains(.overflow) { names.append("overflow") }
        if contains(.adjusted) { names.append("adjusted") }
        return names.joined(separator: ", ")
    }
}
