import Foundation
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

/// Inputs the fuzzer found, kept as regressions.
@Suite struct FuzzRegressionTests {
    @Test func aNegativeTiedOperandIsNoRegister() {
        #expect(AsmConstraints("=a,-1,D").argumentRegisters == [nil, "di"])
    }

    @Test func negativeArchiveSizesAndNameOffsetsAreCorrupt() {
        func member(_ name: String, size: String) -> Data {
            let header =
                name.padding(toLength: 16, withPad: " ", startingAt: 0) + String(repeating: " ", count: 32)
                + size.padding(toLength: 10, withPad: " ", startingAt: 0) + "`\n"
            return Data(header.utf8)
        }
        let magic = Data("!<arch>\n".utf8)
        var negativeSize = magic
        negativeSize.append(member("a.o/", size: "-5"))
        negativeSize.append(Data("x".utf8))
        #expect(throws: UKLError.self) { try Archive.members(in: negativeSize, path: "neg.a") }
        let negativeName =
            Data("!<arch>\n".utf8) + member("//", size: "4") + Data("a/\n\n".utf8)
            + member("/-3", size: "2") + Data("xy".utf8)
        #expect(throws: UKLError.self) { try Archive.members(in: negativeName, path: "name.a") }
    }

    @Test func globalLabelsAreThoseDeclaredAndPlaced() {
        let asm =
            ".globl __cp_begin\n.hidden __cp_begin\n.global a, b\n__cp_begin:\nmov (%rdi), %eax\nb:\nlocal:\nsyscall"
        #expect(asmGlobalLabels(asm) == ["__cp_begin", "b"])
        #expect(asmGlobalLabels("syscall") == [])
    }
}
