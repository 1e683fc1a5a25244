import Foundation

/// Where the project's data lives: `kernel-shortcuts/` (the kernel contract and
/// syscall table) and `passes/` (pipelines). `UKL_OPT_DATA` names it; otherwise
/// it is found by walking up from the executable, then from the working directory.
public enum DataDirectory {
    public static func locate() throws -> URL {
        let marker = "kernel-shortcuts/contract.json"
        if let explicit = ProcessInfo.processInfo.environment["UKL_OPT_DATA"] {
            let url = URL(fileURLWithPath: explicit)
            guard FileManager.default.fileExists(atPath: url.appendingPathComponent(marker).path) else {
                throw UKLError.input(file: explicit, reason: "UKL_OPT_DATA has no \(marker)")
            }
            return url
        }
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath()
        let starts = [
            executable.deletingLastPathComponent(),
            URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
            URL(fileURLWithPath: #filePath),
        ]
        for start in starts {
            var dir = start
            while dir.path != "/" {
                if FileManager.default.fileExists(atPath: dir.appendingPathComponent(marker).path) {
                    return dir
                }
                dir.deleteLastPathComponent()
            }
        }
        throw UKLError.tool("cannot find the data directory (\(marker)); set UKL_OPT_DATA to the ukl-opt checkout")
    }

    public static func file(_ relative: String) throws -> URL {
        try locate().appendingPathComponent(relative)
    }
}
