/** The shared DynamoDB and HTTP modules of the functions, loaded together (see loadHandler in dynalite.ts). */
export * as dynamodb from "../../lambda-packages/shared/dynamodb";
export * as http from "../../lambda-packages/shared/http";
