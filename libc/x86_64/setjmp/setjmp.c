/* musl's src/setjmp/x86_64/setjmp.s as C: a naked function holding the same
 * instructions, so it becomes bitcode like the rest of libc (musl's generic
 * setjmp.c is empty). */
#include <setjmp.h>
#include <features.h>

/* jmp_buf: rbx, rbp, r12, r13, r14, r15, the caller's rsp, the return address. */
__attribute__((naked, returns_twice)) int setjmp(jmp_buf env)
{
	__asm__("mov %rbx, 0(%rdi)\n"
		"mov %rbp, 8(%rdi)\n"
		"mov %r12, 16(%rdi)\n"
		"mov %r13, 24(%rdi)\n"
		"mov %r14, 32(%rdi)\n"
		"mov %r15, 40(%rdi)\n"
		"lea 8(%rsp), %rdx\n"
		"mov %rdx, 48(%rdi)\n"
		"mov (%rsp), %rdx\n"
		"mov %rdx, 56(%rdi)\n"
		"xor %eax, %eax\n"
		"ret\n");
}

int _setjmp(jmp_buf env) __attribute__((alias("setjmp"), returns_twice));
int __setjmp(jmp_buf env) __attribute__((alias("setjmp"), returns_twice));

