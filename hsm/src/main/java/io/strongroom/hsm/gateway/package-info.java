/**
 * {@code strongroom hsm}: a KMIP server over mutual TLS that fronts PKCS#11 tokens through the JDK's SunPKCS11
 * provider. {@link io.strongroom.hsm.gateway.HsmGateway} is the server and its programmatic API; {@link
 * io.strongroom.hsm.gateway.HsmCommand} the command line. A partition is a token (label = partition name, user PIN =
 * partition password); registered client certificates are allowed per partition; keys are token secret keys
 * labelled with their KMIP Unique Identifier, and the KMIP metadata PKCS#11 cannot hold lives in a small store per
 * partition ({@code docs/format/hsm-gateway.md}).
 */
@NullMarked
package io.strongroom.hsm.gateway;

import org.jspecify.annotations.NullMarked;
