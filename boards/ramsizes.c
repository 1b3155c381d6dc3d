/*
 * ramsizes.c — where a pm_client's RAM goes, as symbol sizes.
 *
 * Compiled with the firmware's flags but never linked: boards/fwsize.sh
 * reads each array's size with nm, so the table in `make size-firmware`
 * always matches the options the firmware was built with.
 */
#include "pm_client.h"

#define SIZE(name, n) const char pm_ram_##name[n] = { 0 };
#define MEMBER(type, m) sizeof(((type *)0)->m)

SIZE(client, sizeof(pm_client))
SIZE(session, sizeof(pm_session))
SIZE(tls_ibuf, MEMBER(pm_session, ibuf))
SIZE(tls_obuf, MEMBER(pm_session, obuf))
SIZE(bearssl, MEMBER(pm_session, cc))
SIZE(verifier, MEMBER(pm_session, dane))
SIZE(x509_minimal, MEMBER(pm_dane, minimal))
SIZE(smtp, MEMBER(pm_session, smtp))
SIZE(pins, MEMBER(pm_client, tlsa) + MEMBER(pm_client, tlsa_data))
