/*
 * board.c — clocks, SysTick, UART0 console and the superloop's turn for
 * the LM3S6965 (register names and sequences from its data sheet).
 */
#include <stdarg.h>
#include <stdint.h>
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/timeouts.h"
#include "lwip/sys.h"
#include "board.h"

#define REG(a) (*(volatile uint32_t *)(a))

/* System control */
#define SYSCTL_RIS   REG(0x400fe050u)
#define SYSCTL_RCC   REG(0x400fe060u)
#define SYSCTL_RCGC1 REG(0x400fe104u)
#define SYSCTL_RCGC2 REG(0x400fe108u)
#define RCC_BYPASS     (1u << 11)
#define RCC_PWRDN      (1u << 13)
#define RCC_USESYSDIV  (1u << 22)
#define RCC_XTAL_MASK  (0xfu << 6)
#define RCC_XTAL_8MHZ  (0xeu << 6)
#define RCC_OSCSRC_MASK (3u << 4)
#define RCC_SYSDIV_MASK (0xfu << 23)
#define RCC_SYSDIV(n)  ((uint32_t)((n) - 1) << 23)
#define RIS_PLLLRIS    (1u << 6)

/* GPIO port A (UART0 on PA0/PA1) */
#define GPIOA_AFSEL  REG(0x40004420u)
#define GPIOA_DEN    REG(0x4000451cu)

/* UART0 (PL011) */
#define UART0_DR     REG(0x4000c000u)
#define UART0_FR     REG(0x4000c018u)
#define UART0_IBRD   REG(0x4000c024u)
#define UART0_FBRD   REG(0x4000c028u)
#define UART0_LCRH   REG(0x4000c02cu)
#define UART0_CTL    REG(0x4000c030u)
#define FR_TXFF      (1u << 5)

/* SysTick */
#define SYST_CSR     REG(0xe000e010u)
#define SYST_RVR     REG(0xe000e014u)
#define SYST_CVR     REG(0xe000e018u)

#define CPU_HZ 50000000u

static volatile uint32_t ticks;

void SysTick_Handler(void)
{
	ticks++;
}

uint32_t board_ms(void)
{
	return ticks;
}

/* lwIP's clock. */
u32_t sys_now(void)
{
	return ticks;
}

/* 200 MHz PLL from the EVB's 8 MHz crystal, divided by 4: 50 MHz. */
static void clock_init(void)
{
	uint32_t rcc = SYSCTL_RCC;
	unsigned i;

	rcc |= RCC_BYPASS;
	rcc &= ~RCC_USESYSDIV;
	SYSCTL_RCC = rcc;
	rcc &= ~(RCC_XTAL_MASK | RCC_OSCSRC_MASK | RCC_PWRDN | RCC_SYSDIV_MASK);
	rcc |= RCC_XTAL_8MHZ | RCC_SYSDIV(4) | RCC_USESYSDIV;
	SYSCTL_RCC = rcc;
	for (i = 0; i < 100000 && !(SYSCTL_RIS & RIS_PLLLRIS); i++)
		;
	SYSCTL_RCC = rcc & ~RCC_BYPASS;
}

static void uart_init(void)
{
	SYSCTL_RCGC1 |= 1u << 0;        /* UART0 */
	SYSCTL_RCGC2 |= 1u << 0;        /* GPIO A */
	(void)SYSCTL_RCGC2;             /* a few cycles before use */
	GPIOA_AFSEL |= 3u;
	GPIOA_DEN |= 3u;
	UART0_CTL = 0;
	/* 50 MHz / (16 x 115200) = 27.127: IBRD 27, FBRD round(0.127 x 64) 8 */
	UART0_IBRD = 27;
	UART0_FBRD = 8;
	UART0_LCRH = 0x70;              /* 8 bits, FIFOs on */
	UART0_CTL = 0x301;              /* UARTEN, TXE, RXE */
}

void board_init(void)
{
	clock_init();
	uart_init();
	SYST_RVR = CPU_HZ / 1000 - 1;
	SYST_CVR = 0;
	SYST_CSR = 7;                   /* processor clock, interrupt, enable */
}

void board_puts(const char *s, size_t len)
{
	while (len-- > 0) {
		if (*s == '\n') {
			while (UART0_FR & FR_TXFF)
				;
			UART0_DR = '\r';
		}
		while (UART0_FR & FR_TXFF)
			;
		UART0_DR = (uint8_t)*s++;
	}
}

static void put_num(unsigned long v, unsigned base, int neg, unsigned width, char pad)
{
	char tmp[24];
	size_t n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v != 0);
	if (neg)
		tmp[n++] = '-';
	while (n < width && n < sizeof tmp)
		tmp[n++] = pad;
	while (n > 0)
		board_puts(&tmp[--n], 1);
}

void board_printf(const char *fmt, ...)
{
	va_list ap;
	const char *s;
	unsigned width;
	char pad, c;
	int islong;
	long sv;
	unsigned long uv;

	va_start(ap, fmt);
	for (; *fmt != '\0'; fmt++) {
		if (*fmt != '%') {
			board_puts(fmt, 1);
			continue;
		}
		fmt++;
		pad = ' ';
		if (*fmt == '0') {
			pad = '0';
			fmt++;
		}
		for (width = 0; *fmt >= '0' && *fmt <= '9'; fmt++)
			width = width * 10 + (unsigned)(*fmt - '0');
		islong = *fmt == 'l';
		if (islong)
			fmt++;
		switch (*fmt) {
		case 's':
			s = va_arg(ap, const char *);
			for (uv = 0; s[uv] != '\0'; uv++)
				;
			board_puts(s, uv);
			break;
		case 'c':
			c = (char)va_arg(ap, int);
			board_puts(&c, 1);
			break;
		case 'd':
			sv = islong ? va_arg(ap, long) : va_arg(ap, int);
			put_num(sv < 0 ? 0ul - (unsigned long)sv : (unsigned long)sv,
				10, sv < 0, width, pad);
			break;
		case 'u':
		case 'x':
			uv = islong ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
			put_num(uv, *fmt == 'u' ? 10 : 16, 0, width, pad);
			break;
		case '%':
			board_puts("%", 1);
			break;
		case '\0':
			fmt--;
			break;
		default:
			board_puts(fmt - 1, 2);
		}
	}
	va_end(ap);
}

void board_poll(void)
{
	enet_poll(board_netif());
	sys_check_timeouts();
	__asm__ volatile ("wfi");
}

void pm_lwip_assert(const char *msg, const char *file, int line)
{
	board_printf("\nlwIP assertion \"%s\" failed at %s:%d\n", msg, file, line);
	board_exit(BOARD_EXIT_ASSERT);
}
