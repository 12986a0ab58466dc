package dev.herd.agent;

import java.util.ArrayList;
import java.util.List;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

/**
 * Rewrites a JDK socket class so that chosen methods call the agent's {@link Hook} first, and, if asked, when they
 * throw. The code it adds names only JDK types ({@code System}, {@code Properties}, {@code BiFunction},
 * {@code Object}, the boxes): it finds the hook in the system properties and calls
 * {@code hook.apply(event, new Object[] {this, arguments...})}. No field or method is added, so the class can be
 * redefined after it was loaded. Where there is no hook the method runs exactly as before.
 *
 * <p>The added code has its own stack map frames (the class is read with expanded frames), so no frame of the
 * JDK's code is recomputed and no class needs to be loaded to rewrite it.
 */
final class SocketWeaver {

    /** What a call on entry does with the hook's answer. */
    enum OnEntry {
        /** Nothing: the method runs on. */
        NOTIFY,
        /**
         * A non-null answer returns at once: {@code this} from a method returning an object, the answer (an
         * Integer or Long) from one returning an int or long (a count of bytes written), else nothing.
         */
        SKIP_IF_ANSWERED
    }

    /**
     * One method to weave: its name and descriptor, the entry event, and the event on a throw (or null). A plain
     * class, not a record: a record's equals is bootstrapped through invokedynamic, which premain would pay for.
     */
    static final class Weave {
        private final String name;
        private final String descriptor;
        private final String entryEvent;
        private final OnEntry onEntry;
        private final String throwEvent;

        Weave(String name, String descriptor, String entryEvent, OnEntry onEntry, String throwEvent) {
            this.name = name;
            this.descriptor = descriptor;
            this.entryEvent = entryEvent;
            this.onEntry = onEntry;
            this.throwEvent = throwEvent;
        }

        String name() {
            return name;
        }

        String descriptor() {
            return descriptor;
        }

        String entryEvent() {
            return entryEvent;
        }

        OnEntry onEntry() {
            return onEntry;
        }

        String throwEvent() {
            return throwEvent;
        }
    }

    private SocketWeaver() {
    }

    static byte[] weave(byte[] classFile, List<Weave> weaves) {
        ClassReader reader = new ClassReader(classFile);
        ClassWriter writer = new ClassWriter(reader, 0);
        List<Weave> unmatched = new ArrayList<>(weaves);
        reader.accept(new ClassVisitor(Opcodes.ASM9, writer) {
            private String owner;

            @Override
            public void visit(int version, int access, String name, String signature, String superName,
                              String[] interfaces) {
                owner = name;
                super.visit(version, access, name, signature, superName, interfaces);
            }

            @Override
            public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                                             String[] exceptions) {
                MethodVisitor method = super.visitMethod(access, name, descriptor, signature, exceptions);
                for (Weave weave : weaves) {
                    if (weave.name().equals(name) && weave.descriptor().equals(descriptor)
                            && (access & (Opcodes.ACC_STATIC | Opcodes.ACC_NATIVE | Opcodes.ACC_ABSTRACT)) == 0) {
                        unmatched.remove(weave);
                        return new HookCalls(method, owner, descriptor, weave);
                    }
                }
                return method;
            }
        }, ClassReader.EXPAND_FRAMES);
        if (!unmatched.isEmpty()) {
            throw new IllegalStateException("no method " + unmatched.get(0).name() + unmatched.get(0).descriptor()
                    + " with a body in " + reader.getClassName());
        }
        return writer.toByteArray();
    }

    /** Adds the calls to one method. */
    private static final class HookCalls extends MethodVisitor {
        /** The most stack our code needs above the method's own: array, array, index, value, and the call's. */
        private static final int EXTRA_STACK = 8;

        private final String owner;
        private final Type[] parameters;
        private final Type returnType;
        private final Weave weave;
        private final Object[] entryLocals;
        private final Label tryStart = new Label();
        private final Label tryEnd = new Label();

        HookCalls(MethodVisitor next, String owner, String descriptor, Weave weave) {
            super(Opcodes.ASM9, next);
            this.owner = owner;
            this.parameters = Type.getArgumentTypes(descriptor);
            this.returnType = Type.getReturnType(descriptor);
            this.weave = weave;
            this.entryLocals = entryLocals(owner, parameters);
        }

        @Override
        public void visitCode() {
            super.visitCode();
            Label noHook = new Label();
            Label carryOn = new Label();
            loadHook(noHook);
            callHook(weave.entryEvent(), -1);                 // stack: answer
            if (weave.onEntry() == OnEntry.SKIP_IF_ANSWERED && isCount(returnType)) {
                // The answer is the method's result, a count of bytes: unboxed and returned.
                super.visitInsn(Opcodes.DUP);
                super.visitJumpInsn(Opcodes.IFNULL, noHook);  // stack: answer (null), popped there
                boolean isInt = returnType.getSort() == Type.INT;
                String box = isInt ? "java/lang/Integer" : "java/lang/Long";
                super.visitTypeInsn(Opcodes.CHECKCAST, box);
                super.visitMethodInsn(Opcodes.INVOKEVIRTUAL, box, isInt ? "intValue" : "longValue",
                        isInt ? "()I" : "()J", false);
                super.visitInsn(isInt ? Opcodes.IRETURN : Opcodes.LRETURN);
            } else if (weave.onEntry() == OnEntry.SKIP_IF_ANSWERED) {
                super.visitJumpInsn(Opcodes.IFNULL, carryOn); // stack: empty
                if (returnType.getSort() == Type.VOID) {
                    super.visitInsn(Opcodes.RETURN);
                } else {
                    super.visitVarInsn(Opcodes.ALOAD, 0);
                    super.visitInsn(Opcodes.ARETURN);
                }
            } else {
                super.visitInsn(Opcodes.POP);
                super.visitJumpInsn(Opcodes.GOTO, carryOn);
            }
            super.visitLabel(noHook);
            super.visitFrame(Opcodes.F_NEW, entryLocals.length, entryLocals, 1, new Object[] {"java/lang/Object"});
            super.visitInsn(Opcodes.POP);
            super.visitLabel(carryOn);
            super.visitFrame(Opcodes.F_NEW, entryLocals.length, entryLocals, 0, new Object[0]);
            super.visitLabel(tryStart);
            // The JDK's code may start with a frame of its own: it must not fall on the same offset as ours.
            super.visitInsn(Opcodes.NOP);
        }

        @Override
        public void visitMaxs(int maxStack, int maxLocals) {
            int extraLocals = 0;
            if (weave.throwEvent() != null) {
                // A handler after every one of the method's own (the table is searched in order): it sees what
                // the method throws, tells the hook, and throws it on.
                int thrownSlot = maxLocals;
                extraLocals = 1;
                Label handler = new Label();
                Label noHook = new Label();
                Label rethrow = new Label();
                super.visitLabel(tryEnd);
                super.visitTryCatchBlock(tryStart, tryEnd, handler, "java/lang/Throwable");
                super.visitLabel(handler);
                super.visitFrame(Opcodes.F_NEW, entryLocals.length, entryLocals, 1,
                        new Object[] {"java/lang/Throwable"});
                super.visitVarInsn(Opcodes.ASTORE, thrownSlot);
                Object[] withThrown = withThrown(thrownSlot);
                loadHook(noHook);
                callHook(weave.throwEvent(), thrownSlot);
                super.visitInsn(Opcodes.POP);
                super.visitJumpInsn(Opcodes.GOTO, rethrow);
                super.visitLabel(noHook);
                super.visitFrame(Opcodes.F_NEW, withThrown.length, withThrown, 1, new Object[] {"java/lang/Object"});
                super.visitInsn(Opcodes.POP);
                super.visitLabel(rethrow);
                super.visitFrame(Opcodes.F_NEW, withThrown.length, withThrown, 0, new Object[0]);
                super.visitVarInsn(Opcodes.ALOAD, thrownSlot);
                super.visitInsn(Opcodes.ATHROW);
            }
            super.visitMaxs(maxStack + EXTRA_STACK, maxLocals + extraLocals);
        }

        private static boolean isCount(Type type) {
            return type.getSort() == Type.INT || type.getSort() == Type.LONG;
        }

        /** Leaves the hook on the stack, or jumps to {@code noHook} with null on it. */
        private void loadHook(Label noHook) {
            super.visitMethodInsn(Opcodes.INVOKESTATIC, "java/lang/System", "getProperties",
                    "()Ljava/util/Properties;", false);
            super.visitLdcInsn(Hook.KEY);
            super.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "java/util/Properties", "get",
                    "(Ljava/lang/Object;)Ljava/lang/Object;", false);
            super.visitInsn(Opcodes.DUP);
            super.visitJumpInsn(Opcodes.IFNULL, noHook);
        }

        /** hook.apply(event, {this, parameters..., [thrown]}); leaves the answer on the stack. */
        private void callHook(String event, int thrownSlot) {
            super.visitTypeInsn(Opcodes.CHECKCAST, "java/util/function/BiFunction");
            super.visitLdcInsn(event);
            int count = 1 + parameters.length + (thrownSlot >= 0 ? 1 : 0);
            pushInt(count);
            super.visitTypeInsn(Opcodes.ANEWARRAY, "java/lang/Object");
            int index = 0;
            storeElement(index++, () -> super.visitVarInsn(Opcodes.ALOAD, 0));
            int slot = 1;
            for (Type parameter : parameters) {
                int at = slot;
                storeElement(index++, () -> loadBoxed(parameter, at));
                slot += parameter.getSize();
            }
            if (thrownSlot >= 0) {
                storeElement(index, () -> super.visitVarInsn(Opcodes.ALOAD, thrownSlot));
            }
            super.visitMethodInsn(Opcodes.INVOKEINTERFACE, "java/util/function/BiFunction", "apply",
                    "(Ljava/lang/Object;Ljava/lang/Object;)Ljava/lang/Object;", true);
        }

        private void storeElement(int index, Runnable loadValue) {
            super.visitInsn(Opcodes.DUP);
            pushInt(index);
            loadValue.run();
            super.visitInsn(Opcodes.AASTORE);
        }

        private void loadBoxed(Type type, int slot) {
            super.visitVarInsn(type.getOpcode(Opcodes.ILOAD), slot);
            switch (type.getSort()) {
                case Type.INT -> box("java/lang/Integer", "I");
                case Type.BOOLEAN -> box("java/lang/Boolean", "Z");
                case Type.LONG -> box("java/lang/Long", "J");
                case Type.OBJECT, Type.ARRAY -> {
                }
                default -> throw new IllegalArgumentException("cannot pass a " + type + " to the hook");
            }
        }

        private void box(String boxType, String primitive) {
            super.visitMethodInsn(Opcodes.INVOKESTATIC, boxType, "valueOf",
                    "(" + primitive + ")L" + boxType + ";", false);
        }

        private void pushInt(int value) {
            super.visitIntInsn(Opcodes.BIPUSH, value);
        }

        private Object[] withThrown(int thrownSlot) {
            List<Object> locals = new ArrayList<>(List.of(entryLocals));
            int slot = 1;
            for (Type parameter : parameters) {
                slot += parameter.getSize();
            }
            while (slot++ < thrownSlot) {
                locals.add(Opcodes.TOP);
            }
            locals.add("java/lang/Throwable");
            return locals.toArray();
        }

        /** The locals on entry, as an expanded frame lists them: this, then each parameter (long: one entry). */
        private static Object[] entryLocals(String owner, Type[] parameters) {
            List<Object> locals = new ArrayList<>();
            locals.add(owner);
            for (Type parameter : parameters) {
                locals.add(switch (parameter.getSort()) {
                    case Type.BOOLEAN, Type.BYTE, Type.CHAR, Type.SHORT, Type.INT -> Opcodes.INTEGER;
                    case Type.LONG -> Opcodes.LONG;
                    case Type.FLOAT -> Opcodes.FLOAT;
                    case Type.DOUBLE -> Opcodes.DOUBLE;
                    default -> parameter.getInternalName();
                });
            }
            return locals.toArray();
        }
    }
}
