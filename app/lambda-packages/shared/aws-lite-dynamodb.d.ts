/**
 * @aws-lite/dynamodb ships no types (they live in @aws-lite/dynamodb-types, which pulls in the AWS SDK's
 * type packages). The plugin is only handed to the client; shared/dynamodb.ts types the methods it exposes.
 */
declare module "@aws-lite/dynamodb" {
  const plugin: { readonly name: string; readonly service: string; readonly property: string; readonly methods: object };
  export default plugin;
}
