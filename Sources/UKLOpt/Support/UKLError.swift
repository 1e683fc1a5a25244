/// The library's one error type. `input` is the user's to fix (exit 1);
/// `tool` is a bug in ukl-opt (exit 2); `command` is a program it ran that
/// failed (exit 2), named as such rather than as ukl-opt's own error.
public enum UKLError: Error, CustomStringConvertible, Equatable {
    /// Bad input: the file (or option) and what is wrong with it, in one line.
    case input(file: String, reason: String)
    /// Something ukl-opt itself got wrong.
    case tool(String)
    /// A program ukl-opt ran (make, clang-19, ld.lld, a script) failed: which,
    /// with its status and last lines.
    case command(program: String, status: Int32, tail: String)

    public var description: String {
        switch self {
        case .input(let file, let reason): return "\(file): \(reason)"
        case .tool(let message): return "internal error: \(message)"
        case .command(let program, let status, let tail):
            return "\(program) failed (exit status \(status))" + (tail.isEmpty ? "" : "; its last lines:\n" + tail)
        }
    }

    public var exitCode: Int32 {
        switch self {
        case .input: return 1
        case .tool, .command: return 2
        }
    }
}
