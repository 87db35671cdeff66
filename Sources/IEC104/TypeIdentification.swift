/// The type identifications this master decodes (monitor direction) and sends (control
/// direction). Others are counted as unknown and skipped, as the standard lets a master do.
public enum TypeIdentification: UInt8, Sendable {
    case singlePoint = 1                 // M_SP_NA_1
    case doublePoint = 3                 // M_DP_NA_1
    case normalized = 9                  // M_ME_NA_1
    case scaled = 11                     // M_ME_NB_1
    case shortFloat = 13                 // M_ME_NC_1
    case integratedTotals = 15           // M_IT_NA_1
    case singlePointTime = 30            // M_SP_TB_1
    case doublePointTime = 31            // M_DP_TB_1
    case normalizedTime = 34             // M_ME_TD_1
    case scaledTime = 35                 // M_ME_TE_1
    case shortFloatTime = 36             // M_ME_TF_1
    case integratedTotalsTime = 37       // M_IT_TB_1
    case singleCommand = 45              // C_SC_NA_1
    case doubleCommand = 46              // C_DC_NA_1
    case setpointFloat = 50              // C_SE_NC_1
    case endOfInitialisation = 70        // M_EI_NA_1
    case interrogation = 100             // C_IC_NA_1
    case counterInterrogation = 101      // C_CI_NA_1
    case clockSynchronisation = 103      // C_CS_NA_1

    /// Bytes of one information element (without the IOA).
    public var elementLength: Int {
        switch self {
        case .singlePoint, .doublePoint: return 1
        case .normalized, .scaled: return 3
        case .shortFloat: return 5
        case .integratedTotals: return 5
        case .singlePointTime, .doublePointTime: return 8
        case .normalizedTime, .scaledTime: return 10
        case .shortFloatTime, .integratedTotalsTime: return 12
        case .singleCommand, .doubleCommand: return 1
        case .setpointFloat: return 5
        case .endOfInitialisation: return 1
        case .interrogation, .counterInterrogation: return 1
        case .clockSynchronisation: return 7
        }
    }

    /// True for the monitor-direction process information types (the data points).
    public var isMonitorData: Bool { rawValue <= 37 }

    /// True when the element ends with a CP56Time2a.
    public var hasTime: Bool { rawValue >= 30 && rawValue <= 37 }
}

/// The cause of transmission (bits 0-5 of the COT octet).
public enum Cause: UInt8, Sendable {
    case periodic = 1, background = 2, spontaneous = 3, initialised = 4, request = 5
    case activation = 6, activationConfirmation = 7, deactivation = 8, deactivationConfirmation = 9
    case activationTermination = 10, returnRemote = 11, returnLocal = 12
    case interrogatedByStation = 20
    case counterInterrogatedGeneral = 37
    case unknownType = 44, unknownCause = 45, unknownCommonAddress = 46, unknownObjectAddress = 47
}
