/**
 * The request bodies of the API as zod/mini schemas: the handlers validate with them (parseWith), and
 * `npm run generate` converts them to the JSON Schemas of docs/openapi.json (zod 4's toJSONSchema), so the
 * document describes exactly what the functions accept.
 */
import * as z from "zod/mini";
import { currentPasswordField, emailField, nameField, newPasswordField } from "./validation";

/** POST /users */
export const SignUpSchema = z.strictObject({ email: emailField, password: newPasswordField, name: nameField });
export type SignUp = z.infer<typeof SignUpSchema>;

/** PATCH /users/me: name and/or a new password (which needs the current one). */
export const ProfileChangeSchema = z.strictObject({
  name: z.optional(nameField),
  password: z.optional(newPasswordField),
  currentPassword: z.optional(currentPasswordField),
});
export type ProfileChange = z.infer<typeof ProfileChangeSchema>;

/** DELETE /users/me: the current password confirms the deletion. */
export const AccountDeletionSchema = z.strictObject({ currentPassword: currentPasswordField });
export type AccountDeletion = z.infer<typeof AccountDeletionSchema>;

/** POST /sessions */
export const LogInSchema = z.strictObject({ email: emailField, password: currentPasswordField });
export type LogIn = z.infer<typeof LogInSchema>;
