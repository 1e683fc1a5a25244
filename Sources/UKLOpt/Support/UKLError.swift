/// The library's one error type. `input` is the user's to fix (exit 1);
/// `tool` is a bug in ukl-opt or its environment (exit 2).
public enum UKLError: Error, CustomStringConvertible, Equatable {
    /// Bad input: the file (or option) and what is wrong with it, in one line.
    case input(file: String, reason: String)
    /// Something ukl-opt itself got wrong, or a step it depends on failed.
    case tool(String)

    public var description: String {
        switch self {
        case .input(let file, let reason): return "\(file): \(reason)"
        case .tool(let message): return "internal error: \(message)"
        }
    }

    public var exitCode: Int32 {
        switch self {
        case .input: return 1
        case .tool: return 2
        }
    }
}
