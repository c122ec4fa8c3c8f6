/** The shared DynamoDB and HTTP modules of the functions, loaded together (see loadHandler in dynalite.ts). */
export * as dynamodb from "../../app/lambda-packages/shared/dynamodb";
export * as http from "../../app/lambda-packages/shared/http";
