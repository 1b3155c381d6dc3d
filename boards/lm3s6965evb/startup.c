/*
 * startup.c — vector table and reset for the LM3S6965 (Cortex-M3).
 *
 * Reset moves the program onto the process stack (PSP: the bottom of RAM,
 * see lm3s6965.ld) and gives exceptions a small stack of their own (MSP),
 * so even a stack overflow can be reported; then it copies .data from flash, clears .bss, paints the free
 * stack with a pattern (board_stack_peak() later finds how deep the stack
 * went) and calls main. Faults report on the console and end the run: a
 * fault is a bug, and an emulator run must not hang on it.
 */
#include <stdint.h>
#include <string.h>
#include "board.h"

#define STACK_PAINT 0xa5a5a5a5u

extern uint32_t _sidata[], _sdata[], _edata[], _sbss[], _ebss[];
extern uint32_t _sstack[], _estack[];

int main(void);
void Reset_Handler(void);
void Default_Handler(void);
void HardFault_Handler(void);
void board_reset_c(void);

/* Exceptions run here (interrupt handlers are tiny; the fault handler
 * prints one line). */
uint32_t board_handler_stack[128];

/* The thread keeps the stack it has (PSP takes MSP's value, so no frame
 * moves), and MSP moves to the handler stack. */
__attribute__((naked)) void Reset_Handler(void)
{
	__asm__ volatile (
		"mrs r0, msp\n\t"
		"msr psp, r0\n\t"
		"movs r0, #2\n\t"             /* CONTROL.SPSEL: thread on PSP */
		"msr control, r0\n\t"
		"isb\n\t"
		"ldr r0, =board_handler_stack + 512\n\t"
		"msr msp, r0\n\t"
		"b board_reset_c");
}

void board_reset_c(void)
{
	uint32_t *p;
	uint32_t sp;

	memcpy(_sdata, _sidata, (size_t)((char *)_edata - (char *)_sdata));
	memset(_sbss, 0, (size_t)((char *)_ebss - (char *)_sbss));
	/* Paint the stack below what this function uses. */
	__asm__ volatile ("mov %0, sp" : "=r"(sp));
	for (p = _sstack; (uint32_t)p < sp - 64; p++)
		*p = STACK_PAINT;
	board_exit(main());
}

size_t board_stack_peak(void)
{
	const uint32_t *p = _sstack;

	while (p < _estack && *p == STACK_PAINT)
		p++;
	return (size_t)((const char *)_estack - (const char *)p);
}

size_t board_stack_size(void)
{
	return (size_t)((const char *)_estack - (const char *)_sstack);
}

void HardFault_Handler(void)
{
	uint32_t *frame;

	uint32_t cfsr = *(volatile uint32_t *)0xe000ed28u;

	/* BSTKERR: the exception frame could not be pushed: the stack ran
	 * off the bottom of RAM. There is no frame to read. */
	if (cfsr & (1u << 12)) {
		board_printf("\nfault: stack overflow (below the bottom of RAM)\n");
		board_exit(BOARD_EXIT_FAULT);
	}
	__asm__ volatile ("tst lr, #4\n\t"
		"ite eq\n\t"
		"mrseq %0, msp\n\t"
		"mrsne %0, psp" : "=r"(frame));
	board_printf("\nfault: pc %08lx lr %08lx cfsr %08lx mmfar %08lx\n",
		(unsigned long)frame[6], (unsigned long)frame[5], (unsigned long)cfsr,
		(unsigned long)*(volatile uint32_t *)0xe000ed34u);
	board_exit(BOARD_EXIT_FAULT);
}

void Default_Handler(void)
{
	board_printf("\nunexpected exception %lu\n",
		(unsigned long)(*(volatile uint32_t *)0xe000ed04u & 0x1ffu));
	board_exit(BOARD_EXIT_FAULT);
}

/* 16 system exceptions, then the LM3S6965's interrupts 0..42 (ethernet is
 * 42). Only what the firmware enables has a handler of its own. */
#define IRQS 43
#pragma GCC diagnostic ignored "-Woverride-init"
__attribute__((section(".vectors"), used))
static void (*const vectors[16 + IRQS])(void) = {
	[2 ... 16 + IRQS - 1] = Default_Handler,
	[0] = (void (*)(void))_estack,
	[1] = Reset_Handler,
	[3] = HardFault_Handler,
	[5] = HardFault_Handler,        /* BusFault */
	[6] = HardFault_Handler,        /* UsageFault */
	[11] = Default_Handler,         /* SVCall */
	[12] = Default_Handler,         /* DebugMon */
	[14] = Default_Handler,         /* PendSV */
	[15] = SysTick_Handler,
	[16 + 42] = Ethernet_Handler,
};
