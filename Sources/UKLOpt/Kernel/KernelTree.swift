import Foundation

/// A built kernel tree (the output of `make` with CONFIG_LTO_CLANG_FULL), as far
/// as relinking vmlinux.o goes: its archives and the kernel's own command for
/// vmlinux.o, saved by Kbuild in `.vmlinux.o.cmd`.
struct KernelTree {
    let root: URL
    /// The command that made vmlinux.o: `ld -r ... ; objtool ... vmlinux.o`.
    let command: String
    /// Archives linked whole (vmlinux.a) and as libraries (lib/lib.a, ...).
    let wholeArchives: [String]
    let libraries: [String]

    init(_ path: String) throws {
        root = URL(fileURLWithPath: path).standardizedFileURL
        let cmdFile = root.appendingPathComponent(".vmlinux.o.cmd").path
        guard FileManager.default.fileExists(atPath: root.appendingPathComponent("vmlinux.a").path) else {
            throw UKLError.input(
                file: path, reason: "not a built kernel tree (no vmlinux.a); run scripts/kernel-build.sh")
        }
        guard let text = try? String(contentsOfFile: cmdFile, encoding: .utf8),
            let line = text.split(separator: "\n").first(where: {
                $0.hasPrefix("cmd_vmlinux.o :=") || $0.hasPrefix("savedcmd_vmlinux.o :=")
            })
        else {
            throw UKLError.input(file: cmdFile, reason: "missing or without the vmlinux.o command; was the tree built?")
        }
        command = String(line[line.range(of: ":=")!.upperBound...]).trimmingCharacters(in: .whitespaces)
        guard command.contains(" -r ") else {
            throw UKLError.input(file: cmdFile, reason: "vmlinux.o is not made by 'ld -r' here")
        }
        wholeArchives = Self.words(of: command, between: "--whole-archive", and: "--no-whole-archive")
        libraries = Self.words(of: command, between: "--start-group", and: "--end-group")
        guard !wholeArchives.isEmpty else {
            throw UKLError.input(file: cmdFile, reason: "cannot find the --whole-archive inputs of vmlinux.o")
        }
    }

    func path(_ relative: String) -> String {
        relative.hasPrefix("/") ? relative : root.appendingPathComponent(relative).path
    }

    private static func words(of command: String, between start: String, and end: String) -> [String] {
        guard let from = command.range(of: " \(start) "),
            let to = command.range(of: " \(end)", range: from.upperBound..<command.endIndex)
        else { return [] }
        return command[from.upperBound..<to.lowerBound].split(separator: " ").map(String.init)
    }

    /// The kernel's own command with our inputs and output: the whole archives
    /// are replaced by `inputs` (a response file), `vmlinux.o` by `output`. The
    /// libraries stay: our object can still need their ELF members through
    /// references that only inline asm makes (`call __put_user_1`), which no
    /// bitcode symbol table shows, just as ld.lld's own LTO output can.
    func command(inputs responseFile: String, output: String) -> String {
        var text = " " + command + " "
        if let from = text.range(of: " --whole-archive "),
            let to = text.range(of: " --no-whole-archive ", range: from.upperBound..<text.endIndex)
        {
            text.replaceSubrange(from.lowerBound..<to.upperBound, with: " @\(responseFile) ")
        }
        text = text.replacingOccurrences(of: " vmlinux.o ", with: " \(output) ")
        text = text.replacingOccurrences(of: " vmlinux.o;", with: " \(output);")
        return text.trimmingCharacters(in: .whitespaces)
    }
}
