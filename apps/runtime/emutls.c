/*
 * Thread-local variables of the application at the UKL levels. The kernel
 * image has no TLS segment for an application's own __thread variables, so
 * ukl-opt generates the UKL levels' code with emulated TLS: each access
 * becomes __emutls_get_address(&control), and each thread's copies are
 * allocated on first use, from the variable's initial image in the kernel
 * image. (At the linux level the program keeps ordinary ELF TLS and this
 * function is never called.) musl's own thread data is not affected: it
 * lives in musl's thread descriptor, at %fs.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* What LLVM's emulated TLS emits per variable (__emutls_v.NAME). */
struct emutls_control {
	size_t size;
	size_t align;
	uintptr_t index;	/* 0 until the first access anywhere */
	const void *image;	/* initial value, or null for zeros */
};

/* One per thread: its copies, by index - 1. */
struct emutls_block {
	uintptr_t count;
	void *copies[];
};

static pthread_key_t key;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uintptr_t last_index;

static void free_block(void *p)
{
	struct emutls_block *block = p;

	for (uintptr_t i = 0; i < block->count; i++)
		free(block->copies[i]);
	free(block);
}

static void create_key(void)
{
	pthread_key_create(&key, free_block);
}

static uintptr_t index_of(struct emutls_control *control)
{
	uintptr_t index = __atomic_load_n(&control->index, __ATOMIC_ACQUIRE);

	if (index)
		return index;
	pthread_once(&once, create_key);
	pthread_mutex_lock(&lock);
	index = control->index;
	if (!index) {
		index = ++last_index;
		__atomic_store_n(&control->index, index, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&lock);
	return index;
}

void *__emutls_get_address(struct emutls_control *control)
{
	uintptr_t index = index_of(control);
	struct emutls_block *block = pthread_getspecific(key);
	void **copy;

	if (!block || block->count < index) {
		uintptr_t count = index + 16, old = block ? block->count : 0;

		block = realloc(block, sizeof(*block) + count * sizeof(void *));
		if (!block)
			abort();
		memset(&block->copies[old], 0, (count - old) * sizeof(void *));
		block->count = count;
		pthread_setspecific(key, block);
	}
	copy = &block->copies[index - 1];
	if (!*copy) {
		size_t align = control->align > sizeof(void *) ? control->align : sizeof(void *);

		*copy = aligned_alloc(align, (control->size + align - 1) / align * align);
		if (!*copy)
			abort();
		if (control->image)
			memcpy(*copy, control->image, control->size);
		else
			memset(*copy, 0, control->size);
	}
	return *copy;
}
