internal import CLLVMBridge
import Foundation

/// The backstop behind `apply`: the application's machine code, disassembled,
/// may not hold an instruction that enters the kernel from user mode. In ring 0
/// `syscall` runs the 64-bit entry as if from user space and corrupts the GS
/// base; `sysenter` and `int $0x80` are no better. Reading the code rather
/// than the asm text also catches what text cannot show: labels, comments,
/// `.byte 0x0f, 0x05`, module-level asm.
public enum CodeScan {
    public struct Finding: Equatable, Sendable, CustomStringConvertible {
        public let function: String
        public let offset: Int
        public let instruction: String

        public var description: String { "'\(instruction)' at \(function)+0x\(String(offset, radix: 16))" }
    }

    /// The user-mode kernel entries among `bytes`, disassembled from the start.
    static func userEntries(
        in bytes: UnsafeBufferPointer<UInt8>, function: String, disassembler: LLVMDisasmContextRef
    )
        -> [Finding]
    {
        var findings: [Finding] = []
        var offset = 0
        var text = [CChar](repeating: 0, count: 128)
        while offset < bytes.count {
            let size = LLVMDisasmInstruction(
                disassembler, UnsafeMutablePointer(mutating: bytes.baseAddress! + offset),
                UInt64(bytes.count - offset), UInt64(offset), &text, text.count)
            guard size > 0 else {  // not an instruction (data, padding): step one byte
                offset += 1
                continue
            }
            let printed = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let words = printed.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," })
            let instruction = words.joined(separator: " ")
            if let mnemonic = words.first,
                mnemonic == "syscall" || mnemonic == "sysenter"
                    || mnemonic == "int" && words.dropFirst().first == "$0x80"
            {
                findings.append(Finding(function: function, offset: offset, instruction: instruction))
            }
            offset += size
        }
        return findings
    }

    /// Every user-mode kernel entry in the code of the ELF object `object`,
    /// in the symbols `isApplication` accepts.
    public static func userEntries(
        inObject object: Data, name: String,
        isApplication: @escaping (String) -> Bool = { _ in true }
    ) throws -> [Finding] {
        _ = Targets.x86
        guard let disassembler = LLVMCreateDisasm("x86_64-unknown-linux-gnu", nil, 0, nil, nil) else {
            throw UKLError.tool("cannot create an x86-64 disassembler")
        }
        defer { LLVMDisasmDispose(disassembler) }
        LLVMSetDisasmOptions(disassembler, UInt64(LLVMDisassembler_Option_PrintImmHex))
        final class Box {
            var findings: [Finding] = []
            let disassembler: LLVMDisasmContextRef
            let isApplication: (String) -> Bool
            init(_ disassembler: LLVMDisasmContextRef, _ isApplication: @escaping (String) -> Bool) {
                self.disassembler = disassembler
                self.isApplication = isApplication
            }
        }
        do {
            let box = Box(disassembler, isApplication)
            var error: UnsafeMutablePointer<CChar>?
            let status = object.withUnsafeBytes { raw in
                ukl_object_code(
                    raw.baseAddress!.assumingMemoryBound(to: CChar.self), raw.count, name,
                    { opaque, symbol, bytes, size in
                        let box = Unmanaged<Box>.fromOpaque(opaque!).takeUnretainedValue()
                        let function = String(cString: symbol!)
                        guard box.isApplication(function), let bytes, size > 0 else { return }
                        box.findings += CodeScan.userEntries(
                            in: UnsafeBufferPointer(start: bytes, count: size),
                            function: function, disassembler: box.disassembler)
                    }, Unmanaged.passUnretained(box).toOpaque(), &error)
            }
            if status != 0 {
                let message = error.map { String(cString: $0) } ?? "unreadable object"
                free(error)
                throw UKLError.input(file: name, reason: message)
            }
            return box.findings
        }
    }
}
