package io.strongroom.server.archfixture.one;

import io.strongroom.server.archfixture.two.NeededBack;

/** A deliberate package cycle for {@code ArchitectureTest}, with {@link NeededBack}. */
public final class NeedsTheOther {
    private NeedsTheOther() {}

    public static int other() {
        return NeededBack.back() + 1;
    }

    public static int one() {
        return 1;
    }
}
