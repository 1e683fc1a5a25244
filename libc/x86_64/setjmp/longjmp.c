/* musl's src/setjmp/x86_64/longjmp.s as C (musl's generic longjmp.c is
 * empty): restores what setjmp saved and jumps back. */
#include <setjmp.h>
#include <features.h>

/* Returns val from setjmp, or 1 when val is 0. */
__attribute__((naked, noreturn)) void longjmp(jmp_buf env, int val)
{
	__asm__("mov %esi, %eax\n"
		"test %eax, %eax\n"
		"jnz 1f\n"
		"inc %eax\n"
		"1:\n"
		"mov 0(%rdi), %rbx\n"
		"mov 8(%rdi), %rbp\n"
		"mov 16(%rdi), %r12\n"
		"mov 24(%rdi), %r13\n"
		"mov 32(%rdi), %r14\n"
		"mov 40(%rdi), %r15\n"
		"mov 48(%rdi), %rsp\n"
		"jmp *56(%rdi)\n");
}

void _longjmp(jmp_buf env, int val) __attribute__((alias("longjmp"), noreturn));
