/* musl's src/thread/x86_64/clone.s as C (musl's generic clone.c returns
 * ENOSYS): __clone(func, stack, flags, arg, ptid, tls, ctid) starts func(arg)
 * on stack in the new task and exits with its result there. Both syscalls
 * keep the register frame (clone and exit are full-entry calls).
 *
 * One change from the assembly: the child finds arg in %r12, which it
 * inherits from its parent, instead of on its new stack. A UKL kernel runs
 * an application thread on a stack of its own in the kernel half, not on
 * the one asked for, so the new thread must not expect anything there.
 * %r12 is callee-saved: the parent keeps its own value on its stack. */
#include <features.h>

__attribute__((naked)) hidden int __clone(int (*func)(void *), void *stack, int flags, void *arg, ...)
{
	__asm__("push %r12\n"
		"xor %eax, %eax\n"
		"mov $56, %al\n"
		"mov %rdi, %r11\n"
		"mov %rdx, %rdi\n"
		"mov %r8, %rdx\n"
		"mov %r9, %r8\n"
		"mov 16(%rsp), %r10\n"
		"mov %r11, %r9\n"
		"mov %rcx, %r12\n"
		"and $-16, %rsi\n"
		"syscall\n"
		"test %eax, %eax\n"
		"jnz 1f\n"
		"xor %ebp, %ebp\n"
		"mov %r12, %rdi\n"
		"call *%r9\n"
		"mov %eax, %edi\n"
		"xor %eax, %eax\n"
		"mov $60, %al\n"
		"syscall\n"
		"hlt\n"
		"1:\n"
		"pop %r12\n"
		"ret\n");
}
