/**
 * The cluster's KMIP client: {@link io.strongroom.hsm.client.KmipClient} over mutual TLS to an HSM (Strongroom's
 * gateway, PyKMIP or a vendor's KMIP server) described by an {@link io.strongroom.hsm.client.HsmEndpoint}; every
 * failure is a {@link io.strongroom.hsm.client.KmipException} whose kind says how to react.
 */
@NullMarked
package io.strongroom.hsm.client;

import org.jspecify.annotations.NullMarked;
