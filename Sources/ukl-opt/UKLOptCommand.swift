import ArgumentParser
import Foundation
import UKLOpt

@main
struct UKLOptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ukl-opt",
        abstract:
            "Build Unikernel Linux applications: rewrite syscall sites by tier, and optimize app and kernel bitcode together.",
        discussion: """
            Tiers (--level), each including the ones before it:
              linux     the application as an ordinary static program (the reference)
              base      linked into the kernel; syscalls become calls to the UKL entry
              bypass    constant-number syscalls call their implementation directly
              nss       as bypass, on the application's stack, so LTO can inline kernel code
              shortcut  as nss, with guarded TCP shortcuts for read/write/sendto/recvfrom

            Exit status: 0 success, 1 bad input (the message names the file), 2 internal error or a failed program it ran (named).
            """,
        subcommands: [
            CC.self, Inspect.self, Apply.self, LTO.self, Kernel.self, Build.self, Run.self, Compare.self, PGO.self,
        ]
    )

    /// ArgumentParser's own main, except that a command line it rejects (an
    /// unknown option, a value that is no level, conflicting options) is bad
    /// input like any other: one line and exit status 1, not its usage text
    /// and EX_USAGE.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            // An ExitCode is a status the command chose (run passes on the app's).
            guard !(error is ExitCode), exitCode(for: error) == .validationFailure else { exit(withError: error) }
            let message = message(for: error).split(separator: "\n").first.map(String.init) ?? "bad command line"
            FileHandle.standardError.write(Data("ukl-opt: error: \(message)\n".utf8))
            Foundation.exit(1)
        }
    }
}

/// Runs `body`, turning any error into one line on stderr and its exit
/// status: 1 for bad input, 2 for anything that is ukl-opt's own fault.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as UKLError {
        FileHandle.standardError.write(Data("ukl-opt: error: \(error)\n".utf8))
        throw ExitCode(error.exitCode)
    } catch let error as ExitCode {
        throw error
    } catch {
        FileHandle.standardError.write(Data("ukl-opt: error: \(UKLError.tool(String(describing: error)))\n".utf8))
        throw ExitCode(2)
    }
}

extension Level: ExpressibleByArgument {}
