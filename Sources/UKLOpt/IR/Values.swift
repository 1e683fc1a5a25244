internal import CLLVMBridge

// Non-owning references into a module: a function, an instruction, a global.
// The module owns what they point at; they are small values, typed so that a
// function cannot be passed where an instruction is meant, and C handles stay
// inside the library. Use them while the module is bound to a name: a
// temporary module (`load(...).functions`) is freed within the expression.

/// A global value (function, variable or alias) of a module.
struct GlobalValue: Hashable {
    let ref: LLVMValueRef

    var name: String { valueName(ref) }

    /// A declaration, not a definition (an unmaterialized lazy body counts as a definition).
    var isDeclaration: Bool { LLVMIsDeclaration(ref) != 0 }

    var isFunction: Bool { LLVMIsAFunction(ref) != nil }

    func rename(_ name: String) { LLVMSetValueName2(ref, name, name.utf8.count) }

    func setLinkage(_ linkage: LLVMLinkage, visibility: LLVMVisibility) {
        LLVMSetLinkage(ref, linkage)
        LLVMSetVisibility(ref, visibility)
    }
}

/// A function of a module.
struct Function: Hashable {
    let ref: LLVMValueRef

    var name: String { valueName(ref) }
    var isDeclaration: Bool { LLVMIsDeclaration(ref) != 0 }
    var isIntrinsic: Bool { LLVMGetIntrinsicID(ref) != 0 }
    var asGlobal: GlobalValue { GlobalValue(ref: ref) }

    init(ref: LLVMValueRef) { self.ref = ref }

    /// The function `value` is, if it is one.
    init?(_ value: LLVMValueRef?) {
        guard let value, LLVMIsAFunction(value) != nil else { return nil }
        ref = value
    }

    /// The instructions of its body, in order.
    var instructions: [Instruction] {
        var result: [Instruction] = []
        var block = LLVMGetFirstBasicBlock(ref)
        while let current = block {
            var instruction = LLVMGetFirstInstruction(current)
            while let value = instruction {
                result.append(Instruction(ref: value))
                instruction = LLVMGetNextInstruction(value)
            }
            block = LLVMGetNextBasicBlock(current)
        }
        return result
    }
}

/// An instruction of a function body.
struct Instruction: Hashable {
    let ref: LLVMValueRef

    var isCall: Bool {
        let opcode = LLVMGetInstructionOpcode(ref)
        return opcode == LLVMCall || opcode == LLVMInvoke || opcode == LLVMCallBr
    }

    /// A call's callee: a function, inline asm, or any other value.
    var calledValue: LLVMValueRef? { isCall ? LLVMGetCalledValue(ref) : nil }

    /// A call's inline asm text and constraints, when it calls inline asm.
    var inlineAsm: (text: String, constraints: String)? {
        guard let callee = calledValue, LLVMIsAInlineAsm(callee) != nil else { return nil }
        var textLength = 0
        var constraintsLength = 0
        let text = LLVMGetInlineAsmAsmString(callee, &textLength)
        let constraints = LLVMGetInlineAsmConstraintString(callee, &constraintsLength)
        return (string(text, textLength), string(constraints, constraintsLength))
    }

    /// A call's arguments (operands before the callee).
    var callArguments: [LLVMValueRef] {
        (0..<LLVMGetNumArgOperands(ref)).map { LLVMGetOperand(ref, $0)! }
    }
}

private func valueName(_ value: LLVMValueRef) -> String {
    var length = 0
    return string(LLVMGetValueName2(value, &length), length)
}

/// A string LLVM returns as a pointer and a length (not always NUL-terminated).
func string(_ chars: UnsafePointer<CChar>?, _ length: Int) -> String {
    guard let chars else { return "" }
    return String(decoding: UnsafeRawBufferPointer(start: chars, count: length), as: UTF8.self)
}

/// Walks one of LLVM's intrusive lists.
func chain(_ first: LLVMValueRef?, _ next: (LLVMValueRef) -> LLVMValueRef?) -> [LLVMValueRef] {
    var result: [LLVMValueRef] = []
    var current = first
    while let value = current {
        result.append(value)
        current = next(value)
    }
    return result
}
