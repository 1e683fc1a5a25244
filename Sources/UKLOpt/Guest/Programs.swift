import Foundation

/// The ordinary ring-3 programs of an image: its `/init`
/// (initramfs/init.c), the application itself at `linux`, and the sidecars
/// `--sidecar` puts beside the application. All are static: the initramfs
/// has no dynamic loader.
public enum Programs {
    /// A static program from `bitcode` linked by `ukl-opt cc`, entered at the
    /// runtime's `_start`: the same bitcode the UKL levels link into the
    /// kernel, generated for user space instead.
    static func link(_ bitcode: String, to output: String) throws {
        let module = try Module.load(bitcode)
        let object = output + ".o"
        defer { try? FileManager.default.removeItem(atPath: object) }
        try TargetMachine(triple: module.triple, flavor: .user).emit(module, to: object)
        try Shell.run(
            Toolchain.ldLLD,
            ["-static", "-nostdlib", "-e", "_start", "--gc-sections", "-z", "noexecstack", "-o", output, object])
    }

    /// A static program from a C file (with musl, through `ukl-opt cc`),
    /// written to `output`.
    static func compile(_ source: String, to output: String, progress: @escaping (String) -> Void) throws {
        let work = try Scratch.directory("program")
        defer { try? FileManager.default.removeItem(at: work) }
        try link(AppBuilder.bitcode(source, in: work, progress: progress), to: output)
    }

    /// The image's `/init`, written to `output`.
    static func initProgram(to output: String, progress: @escaping (String) -> Void) throws {
        try compile(DataDirectory.file("initramfs/init.c").path, to: output, progress: progress)
    }

    /// What a sidecar is called in the image: `/sidecars/NAME`, NAME its file
    /// name without `.c`.
    public static func sidecarName(_ spec: String) -> String {
        let name = URL(fileURLWithPath: spec).lastPathComponent
        return name.hasSuffix(".c") ? String(name.dropLast(2)) : name
    }

    /// A sidecar ready for the image at `output`: a C file is compiled; any
    /// other file is copied (`ImageBuilder` has checked it is a static x86-64
    /// ELF executable before building anything).
    static func sidecar(_ spec: String, to output: String, progress: @escaping (String) -> Void) throws {
        if spec.hasSuffix(".c") {
            try compile(spec, to: output, progress: progress)
            return
        }
        try FileManager.default.copyItem(atPath: spec, toPath: output)
    }

    /// Refuses anything but a static x86-64 ELF executable (no PT_INTERP),
    /// naming the file and what is wrong with it.
    public static func checkStaticExecutable(_ path: String) throws {
        let data = try readInput(path)
        func integer(_ offset: Int, _ size: Int) -> Int? {
            guard offset >= 0, offset + size <= data.count else { return nil }
            return (0..<size).reduce(0) { $0 | Int(data[data.startIndex + offset + $1]) << (8 * $1) }
        }
        guard data.count >= 64, data.prefix(4) == Data([0x7f, 0x45, 0x4c, 0x46]) else {
            throw UKLError.input(
                file: path, reason: "not an ELF executable (a sidecar is a static program or a C file)")
        }
        guard data[data.startIndex + 4] == 2, data[data.startIndex + 5] == 1, integer(18, 2) == 62 else {
            throw UKLError.input(file: path, reason: "not an x86-64 ELF executable")
        }
        guard integer(16, 2) == 2 else {
            throw UKLError.input(
                file: path, reason: "not a static executable (ELF type \(integer(16, 2) ?? 0), not EXEC)")
        }
        guard let table = integer(32, 8), let entrySize = integer(54, 2), let count = integer(56, 2) else {
            throw UKLError.input(file: path, reason: "truncated ELF header")
        }
        for index in 0..<count {
            guard let type = integer(table + index * entrySize, 4) else {
                throw UKLError.input(file: path, reason: "truncated ELF program headers")
            }
            if type == 3 {
                throw UKLError.input(
                    file: path, reason: "dynamically linked (PT_INTERP); the image has no loader: link it with -static")
            }
        }
    }
}
