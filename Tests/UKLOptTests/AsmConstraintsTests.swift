import Testing

@testable import UKLOpt

/// Which call argument lands in which register, for every spelling clang uses.
@Suite struct AsmConstraintsTests {
    @Test(arguments: [
        ("a", "ax"), ("{ax}", "ax"), ("{eax}", "ax"), ("{rax}", "ax"), ("D", "di"), ("{rdi}", "di"), ("{edi}", "di"),
        ("{r8}", "r8"), ("{r8d}", "r8"), ("{r9d}", "r9"), ("{r10d}", "r10"), ("{r10w}", "r10"), ("{r9b}", "r9"),
    ])
    func registerSpellings(code: String, register: String) {
        #expect(AsmConstraints.register(Substring(code)) == register)
    }

    @Test func argumentsInThirtyTwoBitSubRegisters() {
        let constraints = AsmConstraints("={ax},{ax},{di},{si},{dx},{r10d},{r8d},{r9d},~{rcx},~{r11},~{memory}")
        #expect(constraints.argumentRegisters == ["ax", "di", "si", "dx", "r10", "r8", "r9"])
        #expect(constraints.argument(in: "r8") == 5 && constraints.argument(in: "r9") == 6)
    }

    @Test func tiedOperandsShareTheOutputRegister() {
        let constraints = AsmConstraints("=a,0,D")
        #expect(constraints.outputRegisters == ["ax"])
        #expect(constraints.argumentRegisters == ["ax", "di"])
    }
}
