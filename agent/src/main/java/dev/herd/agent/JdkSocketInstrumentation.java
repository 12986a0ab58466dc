package dev.herd.agent;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import java.io.IOException;
import java.io.InputStream;
import java.lang.instrument.ClassDefinition;
import java.lang.instrument.Instrumentation;
import java.lang.instrument.UnmodifiableClassException;
import java.net.InetAddress;
import java.net.SocketAddress;
import java.net.SocketImpl;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.dynamic.ClassFileLocator;

/**
 * Weaves {@link JdkSocketAdvice} into the JDK's two server socket classes, once, in premain: their class files are
 * read from the runtime image, decorated (methods get inlined advice; no member is added, so the class format does
 * not change) and installed with {@link Instrumentation#redefineClasses}. No transformer stays registered, so the
 * app's own classes load as they would without the agent, and a later retransformation by another agent starts
 * from the redefined class and keeps the advice.
 */
final class JdkSocketInstrumentation {

    private JdkSocketInstrumentation() {
    }

    static void install(Instrumentation instrumentation, JdkSockets sockets)
            throws IOException, ClassNotFoundException, UnmodifiableClassException {
        ByteBuddy byteBuddy = new ByteBuddy();
        Class<?> channel = sockets.channelClass();
        Class<?> impl = sockets.socketImplClass();
        byte[] channelBytes = byteBuddy.decorate(TypeDescription.ForLoadedType.of(channel), locator(channel))
                .visit(advice(JdkSocketAdvice.ChannelBind.class).on(named("bind")
                        .and(takesArguments(SocketAddress.class, int.class))))
                .visit(advice(JdkSocketAdvice.ChannelAccept.class).on(named("accept").and(takesArguments(0))))
                .visit(advice(JdkSocketAdvice.ChannelInterest.class).on(named("translateInterestOps")
                        .and(takesArguments(int.class))))
                .make().getBytes();
        byte[] implBytes = byteBuddy.decorate(TypeDescription.ForLoadedType.of(impl), locator(impl))
                .visit(advice(JdkSocketAdvice.ImplBind.class).on(named("bind")
                        .and(takesArguments(InetAddress.class, int.class))))
                .visit(advice(JdkSocketAdvice.ImplListen.class).on(named("listen").and(takesArguments(int.class))))
                .visit(advice(JdkSocketAdvice.ImplAccept.class).on(named("accept")
                        .and(takesArguments(SocketImpl.class))))
                .make().getBytes();
        instrumentation.redefineClasses(new ClassDefinition(channel, channelBytes),
                new ClassDefinition(impl, implBytes));
    }

    private static Advice advice(Class<?> adviceClass) {
        return Advice.to(adviceClass);
    }

    /** The class file as the runtime image holds it (java.base's .class resources are not encapsulated). */
    private static ClassFileLocator locator(Class<?> type) throws IOException {
        String resource = type.getName().replace('.', '/') + ".class";
        try (InputStream in = type.getModule().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("no class file for " + type.getName() + " in " + type.getModule());
            }
            return ClassFileLocator.Simple.of(type.getName(), in.readAllBytes());
        }
    }

}
