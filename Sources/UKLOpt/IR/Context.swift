internal import CLLVMBridge

/// Owns one LLVMContext. Installs a diagnostic handler, because LLVM's default
/// one exits the process on a bad bitcode file; messages are collected here and
/// turned into a `UKLError` by whoever asked for the work.
final class Context {
    let ref: LLVMContextRef
    private let sink = DiagnosticSink()

    init() {
        ref = LLVMContextCreate()
        LLVMContextSetDiagnosticHandler(
            ref,
            { info, opaque in
                guard let info, let opaque else { return }
                let sink = Unmanaged<DiagnosticSink>.fromOpaque(opaque).takeUnretainedValue()
                let text = LLVMGetDiagInfoDescription(info)
                defer { LLVMDisposeMessage(text) }
                // Some descriptions end in a newline; a message is one line here.
                let message = text.map { String(cString: $0).trimmingCharacters(in: .whitespacesAndNewlines) }
                let severity = LLVMGetDiagInfoSeverity(info)
                if severity == LLVMDSError {
                    sink.errors.append(message ?? "unknown error")
                } else if severity == LLVMDSWarning {
                    sink.warnings.append(message ?? "")
                }
            }, Unmanaged.passUnretained(sink).toOpaque())
    }

    deinit { LLVMContextDispose(ref) }

    /// Errors reported since the last call, oldest first.
    func takeErrors() -> [String] {
        defer { sink.errors.removeAll() }
        return sink.errors
    }

    func takeWarnings() -> [String] {
        defer { sink.warnings.removeAll() }
        return sink.warnings
    }

    var int64: LLVMTypeRef { LLVMInt64TypeInContext(ref) }
    var int32: LLVMTypeRef { LLVMInt32TypeInContext(ref) }
    var int8: LLVMTypeRef { LLVMInt8TypeInContext(ref) }
    var int1: LLVMTypeRef { LLVMInt1TypeInContext(ref) }
    var pointer: LLVMTypeRef { LLVMPointerTypeInContext(ref, 0) }
    var void: LLVMTypeRef { LLVMVoidTypeInContext(ref) }

    func attributeKind(_ name: String) -> UInt32 {
        LLVMGetEnumAttributeKindForName(name, name.utf8.count)
    }

    /// Whether `function` carries the enum attribute `name` (e.g. `noredzone`).
    func hasFunctionAttribute(_ function: Function, _ name: String) -> Bool {
        LLVMGetEnumAttributeAtIndex(function.ref, functionAttributeIndex, attributeKind(name)) != nil
    }

    func addFunctionAttribute(_ function: Function, _ name: String) {
        LLVMAddAttributeAtIndex(
            function.ref, functionAttributeIndex, LLVMCreateEnumAttribute(ref, attributeKind(name), 0))
    }
}

/// LLVMAttributeFunctionIndex (~0U) as the C API's index type.
private let functionAttributeIndex = LLVMAttributeIndex(bitPattern: Int32(LLVMAttributeFunctionIndex))

private final class DiagnosticSink {
    var errors: [String] = []
    var warnings: [String] = []
}

/// Copies and frees a message LLVM allocated.
func takeMessage(_ message: UnsafeMutablePointer<CChar>?) -> String {
    guard let message else { return "" }
    defer { LLVMDisposeMessage(message) }
    return String(cString: message)
}

/// Copies and frees an LLVMErrorRef's message.
func takeError(_ error: LLVMErrorRef) -> String {
    takeMessage(LLVMGetErrorMessage(error))
}

/// The X86 backend, initialized once per process.
enum Targets {
    static let x86: Void = {
        LLVMInitializeX86TargetInfo()
        LLVMInitializeX86Target()
        LLVMInitializeX86TargetMC()
        LLVMInitializeX86AsmPrinter()
        LLVMInitializeX86AsmParser()
        LLVMInitializeX86Disassembler()
    }()
}
