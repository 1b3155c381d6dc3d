/* alert.h — the example (alert.c): send the configured alert, wait for the
 * outcome (o filled), return its error (0: delivered). */
#ifndef ALERT_H
#define ALERT_H

#include "pm_client.h"

int alert_send(pm_client_outcome *o);

#endif /* ALERT_H */
