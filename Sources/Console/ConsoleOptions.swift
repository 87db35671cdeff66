/// How a console session is set up: buffer sizes (fixed at start), the prompt, and the password
/// policy.
public struct ConsoleOptions: Sendable {
    /// Optional password; nil: no login.
    public var password: String?
    /// Wrong passwords in a row before the console locks.
    public var maxAttempts: Int
    /// How long it stays locked (input is read and thrown away meanwhile).
    public var lockoutMilliseconds: UInt64
    /// With a password: logged out after this long without input; 0 never.
    public var idleLogoutMilliseconds: UInt64
    /// Prompt shown when ready for a command.
    public var prompt: String
    /// First line shown.
    public var banner: String
    /// Longest command line in bytes.
    public var lineCapacity: Int
    /// Room for one command's output (more is cut and marked).
    public var commandOutputCapacity: Int
    /// Ring of output waiting for the terminal (more is dropped and counted).
    public var outputCapacity: Int
    /// Lines `log` shows without an argument.
    public var defaultLogLines: Int

    public init(password: String? = nil, maxAttempts: Int = 3, lockoutMilliseconds: UInt64 = 30_000,
                idleLogoutMilliseconds: UInt64 = 600_000, prompt: String = "edge> ",
                banner: String = "edge-agent console (type 'help')",
                lineCapacity: Int = 256, commandOutputCapacity: Int = 8192, outputCapacity: Int = 16384,
                defaultLogLines: Int = 20) {
        self.password = password
        self.maxAttempts = maxAttempts
        self.lockoutMilliseconds = lockoutMilliseconds
        self.idleLogoutMilliseconds = idleLogoutMilliseconds
        self.prompt = prompt
        self.banner = banner
        self.lineCapacity = lineCapacity
        self.commandOutputCapacity = commandOutputCapacity
        self.outputCapacity = outputCapacity
        self.defaultLogLines = defaultLogLines
    }
}
