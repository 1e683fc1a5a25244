internal import CLLVMBridge

/// The LLVM the project builds with: Debian's LLVM 19, whose tools carry the
/// version in their names (`clang-19`; `clang` on PATH may be the Swift
/// toolchain's LLVM 21, whose bitcode LLVM 19 cannot read). The library links
/// the same version (Package.swift), so bitcode it writes, these tools read.
public enum Toolchain {
    /// LLVM's major version, of the library ukl-opt links and of the tools it runs.
    public static let major = 19

    /// The versioned name of an LLVM tool: `tool("clang")` is `clang-19`.
    public static func tool(_ name: String) -> String { "\(name)-\(major)" }

    /// The major version of the libLLVM this process runs with.
    static var linkedMajor: Int {
        var major: UInt32 = 0
        var minor: UInt32 = 0
        var patch: UInt32 = 0
        LLVMGetVersion(&major, &minor, &patch)
        return Int(major)
    }

    public static let clang = tool("clang")
    public static let ldLLD = tool("ld.lld")
}
