/* A syscall that no asm text shows: two bytes in module-level asm. apply
 * cannot see it; the disassembly backstop must refuse the application,
 * naming the function. */
__asm__(".text\n"
	".globl sneaky\n"
	".type sneaky, @function\n"
	"sneaky:\n"
	"	mov $39, %eax\n"
	"	.byte 0x0f, 0x05\n"
	"	ret\n"
	".size sneaky, .-sneaky\n");

int sneaky(void);

int main(void)
{
	return sneaky();
}
