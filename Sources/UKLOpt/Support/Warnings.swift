import Foundation

/// Where LLVM's warnings go when a caller names no other place. As ld.lld
/// shows its warnings whatever its verbosity, they are not progress: a
/// `--quiet` run still prints them.
public enum Warnings {
    public static func standardError(_ message: String) {
        FileHandle.standardError.write(Data("ukl-opt: warning: \(message)\n".utf8))
    }
}
