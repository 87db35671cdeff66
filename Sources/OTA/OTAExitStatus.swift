/// The process exit statuses the OTA flow gives the agent, fixed and documented (OTA README)
/// because the boot simulator and the qemu boards' supervisor act on them.
public enum OTAExitStatus {
    /// A slot was activated and the board should reboot into it: the qemu boards cannot
    /// reboot the machine, so the agent exits with this status and whatever plays the bootloader
    /// (Tests/OTAFixtures/boot-simulator.py) boots again.
    public static let rebootRequested: Int32 = 10
    /// A trial boot missed its health deadline: exit (non-zero, without marking good) so the
    /// bootloader's counter runs on and, when it runs out, the previous slot boots.
    public static let healthCheckFailed: Int32 = 11
}
