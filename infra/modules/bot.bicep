// The Azure Bot resource (UserAssignedMSI or SingleTenant) and its Microsoft Teams channel.

@description('Tags applied to the bot.')
param tags object

@description('Bot resource name (globally unique handle).')
param name string

@description('Name shown in Teams.')
param displayName string

@description('Messaging endpoint: https://HOST/api/messages.')
param endpoint string

@description('UserAssignedMSI (no secret: the app\'s managed identity is the bot) or SingleTenant (an app registration with a secret).')
@allowed([
  'UserAssignedMSI'
  'SingleTenant'
])
param appType string

@description('The bot\'s Microsoft App ID: the identity\'s client id (UserAssignedMSI) or the app registration\'s (SingleTenant).')
param appId string

@description('Resource id of the user-assigned managed identity (UserAssignedMSI only).')
param identityResourceId string

@description('F0 is enough: Teams is a standard channel, free of message charges.')
@allowed([
  'F0'
  'S1'
])
param sku string = 'F0'

resource bot 'Microsoft.BotService/botServices@2022-09-15' = {
  name: name
  location: 'global'
  tags: tags
  kind: 'azurebot'
  sku: {
    name: sku
  }
  properties: {
    displayName: displayName
    endpoint: endpoint
    msaAppId: appId
    msaAppType: appType
    msaAppTenantId: tenant().tenantId
    msaAppMSIResourceId: appType == 'UserAssignedMSI' ? identityResourceId : ''
    // Only Entra tokens: no Direct Line or Web Chat secrets exist to leak.
    disableLocalAuth: true
  }
}

resource teams 'Microsoft.BotService/botServices/channels@2022-09-15' = {
  parent: bot
  name: 'MsTeamsChannel'
  location: 'global'
  properties: {
    channelName: 'MsTeamsChannel'
    properties: {
      isEnabled: true
      enableCalling: false
    }
  }
}

output name string = bot.name
output endpoint string = bot.properties.endpoint
