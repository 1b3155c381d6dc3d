/*
 * arch/cc.h — lwIP's compiler and platform facts for pinmail's lwIP port.
 *
 * Kept apart from the user options (the board's lwipopts.h): this is what
 * any GCC-built bare-metal target shares. The board supplies sys_now() and
 * pm_lwip_assert(); the port supplies pm_lwip_rand().
 */
#ifndef PM_LWIP_ARCH_CC_H
#define PM_LWIP_ARCH_CC_H

#include <stdint.h>

/* No C library character classes: lwIP's own are used. */
#define LWIP_NO_CTYPE_H 1

/* Byte order: lwIP assumes little-endian unless BYTE_ORDER says otherwise;
 * GCC knows better, and has a one-instruction swap. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define BYTE_ORDER BIG_ENDIAN
#else
#define BYTE_ORDER LITTLE_ENDIAN
#define lwip_htons(x) ((u16_t)__builtin_bswap16((u16_t)(x)))
#define lwip_htonl(x) ((u32_t)__builtin_bswap32((u32_t)(x)))
#endif

/* Diagnostics only exist with LWIP_DEBUG, which firmware builds leave off:
 * no printf is ever linked. */
#define LWIP_PLATFORM_DIAG(x) do { } while (0)

/* A failed lwIP assertion is a bug: the board reports it and stops. */
void pm_lwip_assert(const char *msg, const char *file, int line);
#define LWIP_PLATFORM_ASSERT(x) pm_lwip_assert((x), __FILE__, __LINE__)

/* Random numbers (DHCP transaction ids, DNS ids, local ports, TCP initial
 * sequence numbers) from the port's DRBG, seeded by the board's entropy. */
uint32_t pm_lwip_rand(void);
#define LWIP_RAND() pm_lwip_rand()

#endif /* PM_LWIP_ARCH_CC_H */
